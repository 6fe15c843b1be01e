// Package e2e holds Latchkey's end-to-end browser tests: each test runs the
// whole server on a fresh database, the example app (examples/app) next to
// it, and drives a real headless Chromium through the hosted pages and
// latchkey.js. The tests live in e2e_test; this package has no code.
package e2e
