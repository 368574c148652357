package main

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/ferrymq/ferry/internal/auth"
	"github.com/ferrymq/ferry/internal/config"
)

// TestAdminFrontEnd starts the admin component on an engine and asks
// it for the overview with the default user.
func TestAdminFrontEnd(t *testing.T) {
	cfg := config.Default()
	cfg.AdminListen = "127.0.0.1:0"
	eng, err := openEngine(cfg, t.TempDir(), discard)
	if err != nil {
		t.Fatal(err)
	}
	defer eng.close()
	a := newAdminFrontEnd(cfg, eng, auth.Default(), nil, nil, discard)
	if err := a.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("GET", "http://"+a.bound.String()+"/api/overview", nil)
	req.SetBasicAuth("guest", "guest")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var o map[string]any
	err = json.NewDecoder(resp.Body).Decode(&o)
	resp.Body.Close()
	if err != nil || resp.StatusCode != 200 || o["product_version"] != versionLine() {
		t.Errorf("overview: %d %v %v", resp.StatusCode, o, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := a.Shutdown(ctx); err != nil {
		t.Errorf("Shutdown: %v", err)
	}
}
