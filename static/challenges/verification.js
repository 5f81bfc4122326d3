// A run's verification as the pages show it: a badge ("reproduced ✓", "mismatch" with the
// largest difference, "checking…", "not checked"). The same markup as the server's
// templates/challenges/_verification_badge.html; every text goes in through textContent.

const LABELS = {
  reproduced: "reproduced ✓",
  mismatch: "mismatch",
  pending: "checking…",
  error: "not checked",
};

/** Tell whether a leaderboard entry's run was reproduced by a second worker. */
export function isVerified(entry) {
  return entry?.verification?.status === "reproduced";
}

/** Fill `cell` with the badge of `verification` ({status, checked_at, detail}, or null). */
export function showVerification(cell, verification) {
  if (!cell) return;
  if (!verification) {
    const none = document.createElement("span");
    none.className = "muted";
    none.textContent = "–";
    cell.replaceChildren(none);
    return;
  }
  const { status, detail = {} } = verification;
  const badge = document.createElement("span");
  badge.className = `badge verification-${status}`;
  badge.dataset.verificationStatus = status;
  badge.textContent = LABELS[status] || status;
  badge.title = (detail.summary || "") +
    (detail.independence ? ` · checked on ${detail.independence}` : "");
  const parts = [badge];
  if (status === "mismatch" && detail.figures) {
    const figures = document.createElement("small");
    figures.className = "verification-figures";
    figures.textContent = detail.figures;
    parts.push(" ", figures);
  }
  cell.replaceChildren(...parts);
}
