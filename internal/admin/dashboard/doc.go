// Package dashboard holds Ferry's web dashboard: static HTML, CSS and
// JavaScript embedded in the binary, and the http.Handler that serves
// them.
//
// The pages are plain ES modules with no framework and no build step,
// so the files in static/ are the files the browser runs: there is no
// build output to keep in step, `go build` alone ships the dashboard,
// and it works offline (nothing is fetched from another host; a test
// checks every embedded file for external URLs). The scripts talk to
// the admin API of the same origin with basic auth; the static files
// themselves need no login, so the login form can load.
//
// The files have no content hash in their names, so the handler serves
// each with a strong ETag and "Cache-Control: no-cache": a browser keeps
// them but revalidates on every load, and an upgraded binary is picked up
// at once (a 304 costs one round trip). A Content-Security-Policy limits
// the pages to their own origin, which also keeps message payloads shown
// by the browser from ever running as script.
package dashboard
