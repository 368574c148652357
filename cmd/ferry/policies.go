package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/ferrymq/ferry/internal/broker"
)

// policyJSON is one policy as the policies file writes it: RabbitMQ's
// shape (rabbitmqctl set_policy, the management API's /api/policies), so
// an exported RabbitMQ policy reads as it is.
type policyJSON struct {
	Name       string         `json:"name"`
	VHost      string         `json:"vhost"`
	Pattern    string         `json:"pattern"`
	ApplyTo    string         `json:"apply-to"`
	Priority   int            `json:"priority"`
	Definition map[string]any `json:"definition"`
}

// loadPolicies reads the policies file at path ("" for none) and checks
// every policy, so that a bad file stops start-up (or a SIGHUP reload)
// with a message that names the policy.
func loadPolicies(path string) ([]broker.Policy, error) {
	if path == "" {
		return nil, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("policies: %w", err)
	}
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	d.DisallowUnknownFields()
	var raw []policyJSON
	if err := d.Decode(&raw); err != nil {
		return nil, fmt.Errorf("policies file %s: %w", path, err)
	}
	out := make([]broker.Policy, 0, len(raw))
	for i, p := range raw {
		if p.Name == "" {
			return nil, fmt.Errorf("policies file %s: policy #%d has no name", path, i+1)
		}
		bp := broker.Policy{Name: p.Name, Pattern: p.Pattern, VHost: p.VHost, ApplyTo: p.ApplyTo, Priority: p.Priority, Definition: p.Definition}
		if err := broker.CheckPolicyDefinition(bp.Definition); err != nil {
			return nil, fmt.Errorf("policies file %s: policy %s: %w", path, p.Name, err)
		}
		out = append(out, bp)
	}
	return out, nil
}

// reloadPoliciesOnHUP re-reads the policies file on SIGHUP and applies it
// to every queue; a bad file is logged and the policies in force stay.
// The returned func stops listening.
func reloadPoliciesOnHUP(path string, b *broker.Broker, log *slog.Logger) func() {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-done:
				return
			case <-hup:
			}
			ps, err := loadPolicies(path)
			if err == nil {
				err = b.SetPolicies(ps)
			}
			if err != nil {
				log.Error("policies not reloaded; the previous ones stay", "err", err)
				continue
			}
			log.Info("policies reloaded", "path", path, "policies", len(ps))
		}
	}()
	return func() { signal.Stop(hup); close(done) }
}
