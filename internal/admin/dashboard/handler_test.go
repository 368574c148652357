package dashboard

import (
	"io/fs"
	"net/http"
	"net/http/httptest"
	"path"
	"regexp"
	"slices"
	"strings"
	"testing"
)

func get(t *testing.T, h http.Handler, method, target string, hdr map[string]string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, target, nil)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// wantTypes is what each kind of file must be served as.
var wantTypes = map[string]string{
	".html": "text/html; charset=utf-8",
	".css":  "text/css; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".svg":  "image/svg+xml",
	".png":  "image/png",
}

func TestServesEveryFileWithItsType(t *testing.T) {
	h := New("/dashboard/")
	files := h.Files()
	for _, want := range []string{"index.html", "css/app.css", "js/app.js", "js/api.js", "js/chart.js", "favicon.svg",
		"js/pages/overview.js", "js/pages/queues.js", "js/pages/queue.js", "js/pages/messages.js", "js/pages/deadletters.js", "js/pages/history.js"} {
		if !slices.Contains(files, want) {
			t.Errorf("%s is not embedded (files: %v)", want, files)
		}
	}
	for _, f := range files {
		ct, ok := wantTypes[path.Ext(f)]
		if !ok {
			t.Errorf("%s: no known content type for its extension; add it to contentTypes", f)
			continue
		}
		rec := get(t, h, "GET", "/dashboard/"+f, nil)
		if rec.Code != http.StatusOK {
			t.Errorf("GET %s: status %d", f, rec.Code)
			continue
		}
		data, _ := static.ReadFile("static/" + f)
		if got := rec.Header().Get("Content-Type"); got != ct {
			t.Errorf("GET %s: Content-Type %q, want %q", f, got, ct)
		}
		if rec.Body.String() != string(data) {
			t.Errorf("GET %s: body differs from the embedded file", f)
		}
		if rec.Header().Get("Cache-Control") != "no-cache" || rec.Header().Get("ETag") == "" || rec.Header().Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("GET %s: cache headers %v", f, rec.Header())
		}
		// A browser that has the file revalidates it for nothing.
		if rec := get(t, h, "GET", "/dashboard/"+f, map[string]string{"If-None-Match": rec.Header().Get("ETag")}); rec.Code != http.StatusNotModified {
			t.Errorf("GET %s with its ETag: status %d, want 304", f, rec.Code)
		}
	}
}

func TestIndexAndRedirect(t *testing.T) {
	h := New("/dashboard/")
	rec := get(t, h, "GET", "/dashboard/", nil)
	if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != wantTypes[".html"] || !strings.Contains(rec.Body.String(), `<script type="module" src="js/app.js">`) {
		t.Fatalf("GET /dashboard/: %d %v", rec.Code, rec.Header())
	}
	if csp := rec.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") || !strings.Contains(csp, "script-src 'self'") {
		t.Errorf("Content-Security-Policy = %q", csp)
	}
	head := get(t, h, "HEAD", "/dashboard/", nil)
	if head.Code != http.StatusOK || head.Body.Len() != 0 || head.Header().Get("Content-Type") != wantTypes[".html"] {
		t.Errorf("HEAD /dashboard/: %d, %d bytes", head.Code, head.Body.Len())
	}
	if rec := get(t, h, "GET", "/dashboard", nil); rec.Code != http.StatusMovedPermanently || rec.Header().Get("Location") != "/dashboard/" {
		t.Errorf("GET /dashboard: %d, Location %q", rec.Code, rec.Header().Get("Location"))
	}
}

func TestUnknownPathsAreNotFound(t *testing.T) {
	h := New("/dashboard/")
	for _, p := range []string{
		"/dashboard/nope.js", "/dashboard/js/", "/dashboard/js", "/dashboard/js/pages/", "/dashboard/static/index.html",
		"/dashboard/%2e%2e/handler.go", "/dashboard/INDEX.HTML", "/elsewhere/index.html",
	} {
		rec := get(t, h, "GET", p, nil)
		if rec.Code != http.StatusNotFound {
			t.Errorf("GET %s: status %d, want 404", p, rec.Code)
		}
		if !strings.Contains(rec.Body.String(), "not found") {
			t.Errorf("GET %s: body %q does not say what was wrong", p, rec.Body.String())
		}
	}
	rec := get(t, h, "POST", "/dashboard/index.html", nil)
	if rec.Code != http.StatusMethodNotAllowed || rec.Header().Get("Allow") != "GET, HEAD" {
		t.Errorf("POST: status %d, Allow %q", rec.Code, rec.Header().Get("Allow"))
	}
}

// xmlNamespaces are URLs that name XML vocabularies: identifiers, never
// fetched. Any other http(s) URL in an embedded file would be a request
// to another host, and the dashboard must work offline.
var xmlNamespaces = []string{"http://www.w3.org/2000/svg"}

func TestNoExternalURLs(t *testing.T) {
	urlRE := regexp.MustCompile(`(?i)https?://[^\s"'<>()]*`)
	relRE := regexp.MustCompile(`(?i)(?:src|href|action)\s*=\s*["']//|url\(\s*["']?//|@import`)
	err := fs.WalkDir(static, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || path.Ext(p) == ".png" {
			return err
		}
		data, err := static.ReadFile(p)
		if err != nil {
			return err
		}
		for _, u := range urlRE.FindAllString(string(data), -1) {
			if !slices.Contains(xmlNamespaces, u) {
				t.Errorf("%s refers to another host: %s", p, u)
			}
		}
		if m := relRE.FindString(string(data)); m != "" {
			t.Errorf("%s has a protocol-relative or imported URL: %q", p, m)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestReferencesResolve checks that every module import and every file
// index.html names is embedded, so that a renamed file cannot break the
// page unnoticed.
func TestReferencesResolve(t *testing.T) {
	h := New("/dashboard/")
	files := h.Files()
	imports := 0
	importRE := regexp.MustCompile(`(?m)^\s*(?:import|export)\s[^;]*?from\s+'([^']+)'`)
	for _, f := range files {
		if path.Ext(f) != ".js" {
			continue
		}
		data, _ := static.ReadFile("static/" + f)
		ms := importRE.FindAllStringSubmatch(string(data), -1)
		imports += len(ms)
		for _, m := range ms {
			target := path.Join(path.Dir(f), m[1])
			if !strings.HasPrefix(m[1], ".") || !slices.Contains(files, target) {
				t.Errorf("%s imports %q, which is not an embedded file", f, m[1])
			}
		}
	}
	if imports < 20 {
		t.Errorf("found %d imports in the scripts; the pattern no longer finds them", imports)
	}
	index, _ := static.ReadFile("static/index.html")
	refRE := regexp.MustCompile(`(?:src|href)="([^"#]+)`)
	n := 0
	for _, m := range refRE.FindAllStringSubmatch(string(index), -1) {
		if strings.HasPrefix(m[1], "/api/") {
			continue // the API reference link, served by admin
		}
		n++
		if !slices.Contains(files, m[1]) {
			t.Errorf("index.html refers to %q, which is not an embedded file", m[1])
		}
	}
	if n < 3 {
		t.Errorf("index.html refers to %d files; the pattern no longer finds them", n)
	}
}
