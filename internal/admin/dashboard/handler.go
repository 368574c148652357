package dashboard

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"
)

//go:embed static
var static embed.FS

// contentTypes maps the extensions of the embedded files to their media
// types. It is explicit rather than mime.TypeByExtension, whose answers
// depend on the host's mime tables; a file of any other extension is
// not served (a test keeps this list and static/ in step).
var contentTypes = map[string]string{
	".html": "text/html; charset=utf-8",
	".css":  "text/css; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".svg":  "image/svg+xml",
	".png":  "image/png",
}

// ContentType is the media type the handler serves a file name with,
// and "" for an extension it does not serve.
func ContentType(name string) string { return contentTypes[path.Ext(name)] }

// csp confines the pages to their origin: scripts, styles and API calls
// from here only, images from here or data: URLs, no framing.
const csp = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// asset is one embedded file, read once at start.
type asset struct {
	data  []byte
	ctype string
	etag  string
}

// Handler serves the embedded files under prefix (say "/dashboard/"):
// prefix itself is index.html, prefix without its slash redirects to
// it, and anything that is not a file (a folder, an unknown name) is
// 404: there are no directory listings.
type Handler struct {
	prefix string
	files  map[string]asset // by path below static/, e.g. "js/app.js"
}

// New returns the handler of the embedded files under prefix, which
// must begin and end with "/".
func New(prefix string) *Handler {
	h := &Handler{prefix: prefix, files: map[string]asset{}}
	err := fs.WalkDir(static, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := static.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(data)
		h.files[strings.TrimPrefix(p, "static/")] = asset{data: data, ctype: ContentType(p), etag: `"` + hex.EncodeToString(sum[:12]) + `"`}
		return nil
	})
	if err != nil {
		// The files are compiled in; failing to read them is a build defect.
		panic("dashboard: reading the embedded files: " + err.Error())
	}
	return h
}

// Files lists the embedded files by their path below the prefix.
func (h *Handler) Files() []string {
	out := make([]string, 0, len(h.files))
	for p := range h.files {
		out = append(out, p)
	}
	return out
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, r.Method+" is not allowed on "+r.URL.Path+"; the dashboard's files are read-only", http.StatusMethodNotAllowed)
		return
	}
	if r.URL.Path == strings.TrimSuffix(h.prefix, "/") {
		http.Redirect(w, r, h.prefix, http.StatusMovedPermanently)
		return
	}
	name, ok := strings.CutPrefix(r.URL.Path, h.prefix)
	if !ok {
		http.Error(w, "not found: "+r.URL.Path+" is not under "+h.prefix, http.StatusNotFound)
		return
	}
	if name == "" {
		name = "index.html"
	}
	a, ok := h.files[name]
	if !ok || a.ctype == "" {
		http.Error(w, "not found: the dashboard has no file "+r.URL.Path, http.StatusNotFound)
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", a.ctype)
	hd.Set("Cache-Control", "no-cache")
	hd.Set("ETag", a.etag)
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "no-referrer")
	if a.ctype == contentTypes[".html"] {
		hd.Set("Content-Security-Policy", csp)
		hd.Set("X-Frame-Options", "DENY")
	}
	// ServeContent answers If-None-Match with 304, HEAD and ranges.
	http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(a.data))
}
