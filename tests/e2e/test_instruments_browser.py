"""The instruments in a real browser: heat map and terrain drawn, compare, parallel
coordinates, the stepper. Debian's Chromium, a real Uvicorn, a real Celery worker."""

from __future__ import annotations

import pytest
from django.conf import settings
from playwright.sync_api import Page, expect, sync_playwright

from challenges.models import RunBoundaryFrame
from descent.engine import boundary_frame, build_model, grid_bounds, load_dataset
from tests.challenges.test_live import submit_over_http
from tests.e2e.test_live_browser import CHROMIUM, CHROMIUM_ARGS, new_context, session_cookie, watch
from tests.support import stack
from tests.support.factories import blobs_spec, make_challenge, make_run, make_user

pytestmark = [pytest.mark.stack, pytest.mark.django_db(transaction=True)]

WAIT_MS = 90_000


def variance(page: Page, selector: str) -> float:
    """Return the pixel variance of the canvas at `selector` (0: blank or one colour)."""
    return page.evaluate(
        """async (selector) => {
             const { canvasVariance } = await import("/static/common/pictures.js");
             return canvasVariance(document.querySelector(selector));
           }""", selector)


def test_the_run_page_draws_the_boundary_live_the_strip_and_then_the_terrain():
    challenge, owner = make_challenge(slug="inst-page"), make_user("ada")
    session = session_cookie(owner)
    errors: list[str] = []
    spec = blobs_spec(epochs=3000, layers=[{"units": 32, "activation": "tanh"},
                                           {"units": 3, "activation": "softmax"}])
    with stack.celery_worker(concurrency=1), stack.asgi_server(DEBUG="1") as (_server, port):
        run_id = submit_over_http(port, owner, challenge, spec)  # the ORM, before Playwright
        with sync_playwright() as playwright:
            draw_run_page(playwright, port, session, run_id, errors)
    assert errors == []


def draw_run_page(playwright, port: int, session: str, run_id: int, errors: list[str]) -> None:
    """Watch run `run_id` train on its page: heat map, strip, terrain, replay."""
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    context = new_context(browser, f"http://127.0.0.1:{port}", session)
    page = watch(context.new_page(), f"/runs/{run_id}/", errors)
    # Live: frames arrive and the heat map redraws while the run trains.
    page.wait_for_function(
        "() => Number(document.querySelector('[data-boundary-canvas]').dataset.epoch) > 0",
        timeout=WAIT_MS)
    assert variance(page, "[data-boundary-canvas]") > 100
    expect(page.locator("h1 [data-status]")).to_have_text("succeeded", timeout=WAIT_MS)
    page.wait_for_function(
        "() => document.querySelector('[data-boundary-canvas]').dataset.epoch === '3000'",
        timeout=WAIT_MS)
    # The gradient strip: one line per layer.
    expect(page.locator("[data-layer-chart='grad_rms']")).to_have_attribute(
        "data-series", "2")
    assert int(page.locator("[data-layer-chart='grad_rms']").get_attribute(
        "data-points")) > 10
    # The terrain arrives on the same stream once the background task is done.
    page.wait_for_function(
        "() => document.querySelector('[data-terrain-canvas]').dataset.drawn === '1'",
        timeout=WAIT_MS)
    assert variance(page, "[data-terrain-canvas]") > 100
    # After the run: a replay slider over the stored frames.
    expect(page.locator("[data-replay]")).to_be_visible()
    slider = page.locator("[data-replay-slider]")
    slider.fill("0")
    page.wait_for_function(
        "() => document.querySelector('[data-boundary-canvas]').dataset.epoch === '0'")
    # A fresh visit draws both at once, from the page's own data.
    fresh = watch(context.new_page(), f"/runs/{run_id}/", errors)
    fresh.wait_for_function(
        "() => document.querySelector('[data-terrain-canvas]').dataset.drawn === '1'")
    assert variance(fresh, "[data-boundary-canvas]") > 100
    fresh.screenshot(path=str(settings.VAR_DIR / "test-logs" / "run-instruments.png"),
                     full_page=True)
    browser.close()


def test_compare_overlays_three_runs_parallel_coordinates_draw_and_the_stepper_steps():
    challenge = make_challenge(slug="inst-compare")
    runs = []
    for k, rate in enumerate((0.01, 0.05, 0.2)):
        run = make_run(challenge, make_user(), val_score=0.7 + k / 10, attempt=1, shared=True,
                       spec=blobs_spec(optimizer={"name": "adam", "learning_rate": rate}))
        run.history_chunks.create(attempt=1, first_epoch=1, records=[
            {"epoch": e, "train_loss": 1.0 / (e * (k + 1)), "val_loss": 1.2 / (e * (k + 1))}
            for e in range(1, 41)])
        runs.append(run)
    # The leader (the best score) has a stored boundary frame of a real model.
    data = load_dataset("blobs")
    model = build_model(runs[2].spec, data.n_inputs, seed=1)
    leader_frame = boundary_frame(model, grid_bounds(data.X_train), 48, task=data.task,
                                  epoch=40)
    RunBoundaryFrame.objects.create(run=runs[2], attempt=1, epoch=40, frame=leader_frame)
    errors: list[str] = []
    ids = ",".join(str(run.pk) for run in runs)
    with stack.asgi_server(DEBUG="1") as (_server, port), sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = new_context(browser, f"http://127.0.0.1:{port}")
        page = watch(context.new_page(), f"/compare/?runs={ids}", errors)
        expect(page.locator("#compare-chart")).to_have_attribute("data-series", "3")
        expect(page.locator("[data-parallel]")).to_have_attribute("data-lines", "3")
        assert page.locator("[data-parallel] polyline").count() == 3
        page.screenshot(path=str(settings.VAR_DIR / "test-logs" / "compare.png"), full_page=True)

        board = watch(context.new_page(), "/challenges/inst-compare/", errors)
        leader = board.locator("[data-leader-boundary] canvas")
        expect(leader).to_have_attribute("data-run", str(runs[2].pk))
        assert variance(board, "[data-leader-boundary] canvas") > 100

        stepper = watch(context.new_page(), "/blueprint/step/", errors)
        lines = stepper.locator("[data-step-lines]")
        expect(lines).to_have_attribute("data-shown", "1")
        stepper.get_by_role("button", name="Next line").click()
        stepper.get_by_role("button", name="Next line").click()
        expect(lines).to_have_attribute("data-shown", "3")
        update = "[data-update='1'] figure[data-name='step'] td"
        stepper.get_by_role("button", name="Show every line").click()
        before = stepper.locator(update).first.text_content()
        stepper.get_by_label("Learning rate α").fill("0.05")
        stepper.get_by_role("button", name="Replay the step").click()
        expect(lines).to_have_attribute("data-learning-rate", "0.05")
        after = stepper.locator(update).first.text_content()
        assert after != before
        assert float(after) == pytest.approx(float(before) / 10, rel=1e-3)
        # A bad rate is refused with the field's name, and the step stays as it was.
        stepper.get_by_label("Learning rate α").fill("-3")
        stepper.get_by_role("button", name="Replay the step").click()
        expect(stepper.locator("[data-stepper-error]")).to_contain_text("learning_rate")
        stepper.screenshot(path=str(settings.VAR_DIR / "test-logs" / "stepper.png"))
        browser.close()
    # The one refused request is the 400 the test asked for; the browser logs every 4xx.
    refused = [e for e in errors if "status of 400" in e and "learning_rate=-3" in e]
    assert len(refused) == 1 and [e for e in errors if e not in refused] == []


def test_the_lab_page_draws_three_paths_on_one_terrain():
    import uuid

    from challenges.models import RunStatus, RunTerrain
    from challenges.selectors.datasets import challenge_dataset
    from challenges.services.instruments import trajectory_save
    from descent.engine import Instruments, parse_spec, train
    from workers.terrain import compute_terrain

    challenge, owner, group = make_challenge(slug="inst-lab-page"), make_user(), uuid.uuid4()
    data = challenge_dataset(challenge)
    for rate in (0.005, 0.05, 5.0):
        spec = blobs_spec(epochs=40, optimizer={"name": "sgd", "learning_rate": rate})
        result = train(parse_spec(spec), data, metric="accuracy",
                       instruments=Instruments(trajectory_snapshots=32))
        status = RunStatus.DIVERGED if result.status == "diverged" else RunStatus.SUCCEEDED
        run = make_run(challenge, owner, attempt=1, status=status, lab_group=group,
                       ranked=False, spec=spec)
        trajectory_save(run_id=run.pk, attempt=1, epochs=result.trajectory.epochs,
                        params=result.trajectory.params, diverged=status == RunStatus.DIVERGED)
    assert compute_terrain(RunTerrain.objects.create(lab_group=group).pk) == "ready"
    errors: list[str] = []
    with stack.asgi_server(DEBUG="1") as (_server, port), sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = watch(new_context(browser, f"http://127.0.0.1:{port}").new_page(),
                     f"/lab/{group}/", errors)
        canvas = page.locator("[data-lab-terrain] [data-terrain-canvas]")
        expect(canvas).to_have_attribute("data-paths", "3")
        assert variance(page, "[data-lab-terrain] [data-terrain-canvas]") > 100
        page.locator("[data-lab-terrain]").screenshot(
            path=str(settings.VAR_DIR / "test-logs" / "lab-terrain.png"))
        browser.close()
    assert errors == []
