package admin

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// TestDashboardRoutes checks how the admin server serves the dashboard:
// "/" redirects to it, its files need no login, the API behind it does.
func TestDashboardRoutes(t *testing.T) {
	e := start(t, Config{})
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Get(e.base + "/")
	must(t, err)
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != "/dashboard/" {
		t.Errorf("GET /: %d, Location %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	for path, ctype := range map[string]string{
		"/dashboard/":                    "text/html; charset=utf-8",
		"/dashboard/js/app.js":           "text/javascript; charset=utf-8",
		"/dashboard/js/pages/queue.js":   "text/javascript; charset=utf-8",
		"/dashboard/css/app.css":         "text/css; charset=utf-8",
		"/dashboard/favicon.svg":         "image/svg+xml",
		"/dashboard/js/pages/history.js": "text/javascript; charset=utf-8",
	} {
		r := e.doAs("", "", "GET", path, nil)
		if r.status != http.StatusOK || r.header.Get("Content-Type") != ctype || len(r.body) == 0 {
			t.Errorf("GET %s without login: %d %q, %d bytes", path, r.status, r.header.Get("Content-Type"), len(r.body))
		}
	}
	if r := e.doAs("", "", "GET", "/dashboard/js/nope.js", nil); r.status != http.StatusNotFound {
		t.Errorf("GET an unknown file: %d", r.status)
	}
	if r := e.doAs("", "", "GET", "/dashboard/js/", nil); r.status != http.StatusNotFound {
		t.Errorf("GET a folder: %d (no listings)", r.status)
	}
	resp, err = client.Get(e.base + "/dashboard")
	must(t, err)
	resp.Body.Close()
	if resp.StatusCode != http.StatusMovedPermanently || resp.Header.Get("Location") != "/dashboard/" {
		t.Errorf("GET /dashboard: %d, Location %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	e.doAs("", "", "POST", "/dashboard/index.html", nil).wantError(t, http.StatusMethodNotAllowed, "method_not_allowed", "POST")
	e.doAs("", "", "GET", "/api/overview", nil).wantError(t, http.StatusUnauthorized, "not_authorised", "Not_Authorized")
}

// chromium finds the browser for the dashboard test. Without one the
// test skips, except in CI (CI=true), where .ci/run installs it and a
// missing browser is a failure.
func chromium(t *testing.T) string {
	t.Helper()
	for _, p := range []string{"/usr/bin/chromium", "chromium"} {
		if path, err := exec.LookPath(p); err == nil {
			return path
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("CI=true but chromium is not installed (/usr/bin/chromium): .ci/run installs Debian's chromium package")
	}
	t.Skip("chromium is not installed (/usr/bin/chromium): skipping the dashboard browser test; apt-get install chromium to run it")
	return ""
}

// saveScreenshot writes png into the test's temp folder and, when
// FERRY_SCREENSHOT_DIR is set, there too.
func saveScreenshot(t *testing.T, name string, png []byte) {
	t.Helper()
	if !bytes.HasPrefix(png, []byte("\x89PNG\r\n\x1a\n")) {
		t.Fatalf("screenshot %s is not a PNG (%d bytes)", name, len(png))
	}
	dirs := []string{t.TempDir()}
	if d := os.Getenv("FERRY_SCREENSHOT_DIR"); d != "" {
		must(t, os.MkdirAll(d, 0o755))
		dirs = append(dirs, d)
	}
	for _, d := range dirs {
		p := filepath.Join(d, name)
		must(t, os.WriteFile(p, png, 0o644))
		t.Logf("screenshot: %s", p)
	}
}

// TestDashboardInBrowser drives the dashboard in headless Chromium
// against a real broker: log in (a wrong password first), see a queue's
// depth on the overview, the queues list and its page, browse its
// messages, open the dead letters, redrive them with the button, check
// through the API that they are back where they died, and read one's
// history timeline. It saves screenshots on the way.
func TestDashboardInBrowser(t *testing.T) {
	browser := chromium(t)
	e := startWithHistory(t)

	// A queue of known depth, and three dead letters in work.dlq (see
	// deadLetters: rejected in work, which keeps a consumer), whose
	// history a policy keeps.
	e.do("PUT", "/api/policies/%2F/history", map[string]any{"pattern": "^work", "definition": map[string]any{"history": true}}).
		want(t, http.StatusCreated, nil)
	e.do("PUT", "/api/queues/%2F/orders", nil).want(t, http.StatusCreated, nil)
	_, ch := e.dial()
	publish(t, ch, "orders", nil, "o1", "o2", "o3", "o4", "o5", "o6", "o7")
	deadLetters(t, e)

	// chromedp gives the browser a fresh --user-data-dir of its own and
	// removes it once every Chromium process has gone.
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(browser),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("password-store", "basic"),
		chromedp.Flag("force-color-profile", "srgb"),
		chromedp.WindowSize(1360, 960),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	// A backstop for a hung browser, far above what the steps take.
	bctx, cancelTimeout := context.WithTimeout(actx, 3*time.Minute)
	defer cancelTimeout()
	ctx, cancelTab := chromedp.NewContext(bctx)
	defer cancelTab()

	// Any uncaught script error fails the test.
	var mu sync.Mutex
	var jsErrors []string
	if err := chromedp.Do(ctx); err != nil { // starts the browser and the tab
		t.Fatalf("start chromium: %v", err)
	}
	exceptions := chromedp.Events(ctx, runtime.ExceptionThrown)
	go func() {
		for ev, err := range exceptions {
			if err != nil {
				return
			}
			mu.Lock()
			jsErrors = append(jsErrors, describeException(ev.ExceptionDetails))
			mu.Unlock()
		}
	}()
	defer func() {
		mu.Lock()
		defer mu.Unlock()
		for _, e := range jsErrors {
			t.Errorf("script error in the page: %s", e)
		}
	}()

	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("read %s: %v", sel, err)
		}
		return strings.TrimSpace(s)
	}
	do := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		// A backstop per step, so that a page that never reaches the
		// awaited state leaves a screenshot of what it shows instead.
		sctx, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		if err := chromedp.Do(sctx, steps...); err != nil {
			if errors.Is(err, context.DeadlineExceeded) {
				if png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)); err == nil {
					saveScreenshot(t, "dashboard-failure.png", png)
				}
			}
			t.Fatalf("%s: %v", what, err)
		}
	}

	// "/" leads to the login form; guest/guest are only placeholders.
	do("open the dashboard", chromedp.Navigate(e.base+"/"), chromedp.WaitVisible(chromedp.CSS("#login-user")))
	if v := text("#login-error"); v != "" {
		t.Errorf("login error before logging in: %q", v)
	}
	user, err := chromedp.Run(ctx, chromedp.Value(chromedp.CSS("#login-user")))
	must(t, err)
	if user != "" {
		t.Errorf("the user field is filled in (%q): guest must only be a placeholder", user)
	}
	do("log in with a wrong password",
		chromedp.SendKeys(chromedp.CSS("#login-user"), "guest"),
		chromedp.SendKeys(chromedp.CSS("#login-pass"), "wrong"),
		chromedp.Click(chromedp.CSS("#login-submit")),
		chromedp.WaitVisible(chromedp.CSS("#login-error")))
	if got := text("#login-error"); !strings.Contains(got, "refused") {
		t.Errorf("a wrong password shows %q", got)
	}
	do("log in",
		chromedp.Evaluate[chromedp.Void](`document.getElementById("login-pass").value = ""`),
		chromedp.SendKeys(chromedp.CSS("#login-pass"), "guest"),
		chromedp.Click(chromedp.CSS("#login-submit")),
		chromedp.WaitVisible(chromedp.CSS(`#overview-queues li[data-queue="orders"] .depth`)))
	if got := text(`#overview-queues li[data-queue="orders"] .depth`); got != "7" {
		t.Errorf("overview: orders shows depth %q, want 7", got)
	}
	if got := text("#whoami"); got != "guest" {
		t.Errorf("logged in as %q", got)
	}
	overviewPNG, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	must(t, err)
	saveScreenshot(t, "dashboard-overview.png", overviewPNG)

	do("open the queues", chromedp.Click(chromedp.CSS(`#nav a[data-nav="queues"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#queues-table tr[data-queue="orders"] td.ready`)))
	if got := text(`#queues-table tr[data-queue="orders"] td.ready`); got != "7" {
		t.Errorf("queues: orders shows %q ready, want 7", got)
	}

	// The queue's own page and its messages.
	do("open orders", chromedp.Click(chromedp.CSS(`#queues-table tr[data-queue="orders"] a`)),
		chromedp.WaitVisible(chromedp.CSS(`#queue-stats [data-stat="ready"] .stat-value`)))
	if got := text(`#queue-stats [data-stat="ready"] .stat-value`); got != "7" {
		t.Errorf("queue page: orders shows %q ready, want 7", got)
	}
	if got := text(`#queue-stats [data-stat="consumers"] .stat-value`); got != "0" {
		t.Errorf("queue page: orders shows %q consumers, want 0", got)
	}
	do("browse orders", chromedp.Click(chromedp.CSS(`a[href="#/queues/%2F/orders/messages"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#messages tbody[data-id]`)))
	rows, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](
		`[...document.querySelectorAll('#messages tbody[data-id] td.body-cell')].map(td => td.textContent)`))
	must(t, err)
	if strings.Join(rows, ",") != "o1,o2,o3,o4,o5,o6,o7" {
		t.Errorf("message browser shows bodies %v, want o1…o7", rows)
	}

	const card = `section.dlq[data-queue="work.dlq"]`
	do("open the dead letters", chromedp.Click(chromedp.CSS(`#nav a[data-nav="dead-letters"]`)),
		chromedp.WaitVisible(chromedp.CSS(card+" .dlq-count")))
	if got := text(card + " .dlq-count"); got != "3" {
		t.Errorf("dead letters: work.dlq shows %q ready, want 3", got)
	}
	if got := text(card + " .dlq-summary"); !strings.Contains(got, "died in work") || !strings.Contains(got, "rejected") {
		t.Errorf("dead letters: summary %q does not say they were rejected in work", got)
	}
	do("open the redrive form", chromedp.Click(chromedp.CSS(card+` button[data-action="redrive"]`)),
		chromedp.WaitVisible(chromedp.CSS(card+` button[data-action="start-redrive"]`)))
	// The form counts what would move (a dry run) before anything does.
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](
		`document.querySelector('`+card+` .preview')?.textContent.startsWith('3 messages would move: work (3)')`,
		chromedp.WithPollingMutation(), chromedp.WithPollingTimeout(0))); err != nil {
		t.Fatalf("dry-run preview: %v (shows %q)", err, text(card+" .preview"))
	}
	// A header filter that no dead letter matches counts none; cleared,
	// all three again.
	preview := func(want string) {
		t.Helper()
		if _, err := chromedp.Run(ctx, chromedp.Poll[bool](
			`document.querySelector('`+card+` .preview')?.textContent.startsWith('`+want+`')`,
			chromedp.WithPollingMutation(), chromedp.WithPollingTimeout(0))); err != nil {
			t.Fatalf("dry-run preview: %v (shows %q, want %q)", err, text(card+" .preview"), want)
		}
	}
	do("filter by a header", chromedp.SendKeys(chromedp.CSS(card+" textarea"), "tenant=globex"),
		chromedp.Click(chromedp.CSS(card+` input[type="number"]`))) // leaving the field counts again
	preview("0 messages would move")
	do("clear the filter", chromedp.Evaluate[chromedp.Void](
		`(el => { el.value = ''; el.dispatchEvent(new Event('change')); })(document.querySelector('`+card+` textarea'))`))
	preview("3 messages would move: work (3)")
	do("redrive", chromedp.Click(chromedp.CSS(card+` button[data-action="start-redrive"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#redrives li.task[data-state="done"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#dead-letter-queues .empty`)))
	if got := text(`#redrives li.task[data-state="done"] .task-count`); got != "3 of 3 moved" {
		t.Errorf("task shows %q, want 3 of 3 moved", got)
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	must(t, err)
	saveScreenshot(t, "dashboard-redrive.png", png)

	// The history page shows the message's timeline as the API has it:
	// published, dead-lettered into work.dlq, redriven back.
	var hist struct{ Events []map[string]any }
	e.do("GET", "/api/ferry/history/%2F/m-one", nil).want(t, http.StatusOK, &hist)
	var want []string
	for _, ev := range hist.Events {
		want = append(want, ev["event"].(string))
	}
	if w := strings.Join(want, ","); !strings.Contains(w, "dead_lettered") || !strings.Contains(w, "redriven") {
		t.Errorf("API history of m-one: %s", w)
	}
	do("open the history of m-one", chromedp.Evaluate[chromedp.Void](`location.hash = '#/history/%2F/m-one'`),
		chromedp.WaitVisible(chromedp.CSS(`#history-result .timeline li[data-event="redriven"]`)))
	shown, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](
		`[...document.querySelectorAll('#history-result .timeline li')].map(li => li.dataset.event)`))
	must(t, err)
	if strings.Join(shown, ",") != strings.Join(want, ",") {
		t.Errorf("history page shows events %v, the API has %v", shown, want)
	}
	if got := text(`#history-result .timeline li[data-event="dead_lettered"] .tl-event`); got != "Dead-lettered" {
		t.Errorf("dead_lettered is shown as %q", got)
	}
	png, err = chromedp.Run(ctx, chromedp.FullScreenshot(100))
	must(t, err)
	saveScreenshot(t, "dashboard-history.png", png)

	// The API agrees: back in work (whose consumer may hold them), none
	// left in work.dlq.
	if q := e.do("GET", "/api/queues/%2F/work", nil).obj(t, http.StatusOK); q["messages"] != float64(3) {
		t.Errorf("work after the redrive: %v messages, want 3", q["messages"])
	}
	if q := e.do("GET", "/api/queues/%2F/work.dlq", nil).obj(t, http.StatusOK); q["messages"] != float64(0) {
		t.Errorf("work.dlq after the redrive: %v messages, want 0", q["messages"])
	}
	tasks := e.do("GET", "/api/ferry/redrives", nil).list(t, http.StatusOK)
	if len(tasks) != 1 || tasks[0]["queue"] != "work.dlq" || tasks[0]["state"] != "done" || tasks[0]["moved"] != float64(3) {
		t.Errorf("redrives = %v", tasks)
	}
}

// describeException is an uncaught script error as one line.
func describeException(d *runtime.ExceptionDetails) string {
	if d == nil {
		return ""
	}
	s := d.Text
	if d.URL != "" {
		s += " at " + d.URL
	}
	if d.Exception != nil && d.Exception.Description != "" {
		s += " " + d.Exception.Description
	}
	return s
}
