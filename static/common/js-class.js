// Mark the page as scripted before it paints (CSS hides no-JS fallbacks under .js). A file,
// not an inline script, so the Content-Security-Policy needs no exception for it.
document.documentElement.classList.add("js");
