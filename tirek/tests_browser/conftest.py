# The real-browser fixtures (`browser`, `browser_context`, `page`, `compiled_catalogues`) live in
# tirek/testing/browser.py, loaded once for the whole run from the root conftest, so that every
# app's browser tests share one Chromium per test process.
