package admin

import (
	"net/http"

	"github.com/ferrymq/ferry/internal/admin/dashboard"
)

// dashboardPrefix is where the dashboard's files are served.
const dashboardPrefix = "/dashboard/"

// addUIRoutes serves the embedded dashboard (package dashboard). Its
// static files need no login, so that the login form can load; every
// API call the pages make carries basic auth like any other client's.
// "/" sends a browser to the dashboard.
func (s *Server) addUIRoutes() {
	ui := dashboard.New(dashboardPrefix)
	s.handle(http.MethodGet, "/", false, func(w http.ResponseWriter, r *http.Request, _ params) {
		http.Redirect(w, r, dashboardPrefix, http.StatusFound)
	})
	s.handleRest(http.MethodGet, dashboardPrefix+"{path}", false, func(w http.ResponseWriter, r *http.Request, _ params) {
		ui.ServeHTTP(w, r)
	})
}
