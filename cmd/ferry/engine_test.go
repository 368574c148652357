package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferrymq/ferry/internal/broker"
	"github.com/ferrymq/ferry/internal/config"
	"github.com/ferrymq/ferry/internal/message"
)

// TestEngineKeepsDurableQueuesAcrossRestart checks the wiring: the durable
// store, meta and broker are opened in the data folder, and what was
// confirmed before close is there after reopening.
func TestEngineKeepsDurableQueuesAcrossRestart(t *testing.T) {
	dir := t.TempDir()
	cfg := config.Default()
	cfg.SegmentSize = config.MinSegmentSize

	e, err := openEngine(cfg, dir, discard)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.broker.DeclareQueue(broker.DefaultVHost, "orders", broker.QueueOptions{Durable: true}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.broker.DeclareQueue(broker.DefaultVHost, "scratch", broker.QueueOptions{}); err != nil {
		t.Fatal(err)
	}
	confirmed := make(chan error, 1)
	msg := &message.Message{RoutingKey: "orders", Body: []byte("order 1")}
	if err := e.broker.Publish(broker.DefaultVHost, "orders", msg, func(err error) { confirmed <- err }); err != nil {
		t.Fatal(err)
	}
	if err := <-confirmed; err != nil {
		t.Fatalf("publish confirm: %v", err)
	}
	if err := e.close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	for _, name := range []string{queuesDir, metaFile} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Errorf("data folder lacks %s: %v", name, err)
		}
	}

	e, err = openEngine(cfg, dir, discard)
	if err != nil {
		t.Fatal(err)
	}
	defer e.close()
	info, err := e.broker.QueueInfo(broker.DefaultVHost, "orders")
	if err != nil {
		t.Fatalf("durable queue after restart: %v", err)
	}
	if info.Stats.Ready != 1 {
		t.Errorf("durable queue has %d ready messages after restart, want 1", info.Stats.Ready)
	}
	if _, err := e.broker.QueueInfo(broker.DefaultVHost, "scratch"); err == nil {
		t.Errorf("transient queue survived a restart")
	}
}

func TestOpenEngineFailureNamesTheStep(t *testing.T) {
	dir := t.TempDir()
	// A folder where the definitions file should be makes meta.Open fail
	// after the durable store has opened.
	if err := os.Mkdir(filepath.Join(dir, metaFile), 0o750); err != nil {
		t.Fatal(err)
	}
	_, err := openEngine(config.Default(), dir, discard)
	if err == nil || !strings.Contains(err.Error(), "open definitions") {
		t.Fatalf("openEngine = %v, want an error about the definitions file", err)
	}
}
