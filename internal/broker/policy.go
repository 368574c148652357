package broker

import (
	"fmt"
	"log/slog"
	"regexp"

	"github.com/ferrymq/ferry/internal/meta"
)

// Policy gives delivery rules to the queues whose names match Pattern,
// as RabbitMQ's policies do, without redeclaring them. Definition holds
// the keys of queue arguments without "x-" (message-ttl, delivery-limit,
// retry-initial-delay...; see Rules).
//
// Of the policies that match a queue, the one with the highest Priority
// applies, the earliest in the list on a tie (RabbitMQ also picks one
// policy, never a merge). A queue's own arguments win over its policy,
// key by key (see ParseRules).
//
// Policies come from two places. The policies file (Config.Policies,
// replaced whole by SetPolicies on a reload) owns its policies: they are
// not stored, and the API cannot change or delete them. Policies set
// through the admin API (PutPolicy, DeletePolicy) are kept in meta, as
// RabbitMQ keeps its policies in its database, so they survive a
// restart; they are the API's alone, and a reload of the file leaves
// them be. Both sets apply together, the file's first in the list, so
// the file's wins a tie of priority.
type Policy struct {
	Name       string
	Pattern    string // regular expression (Go syntax) matched against the queue (or exchange) name
	VHost      string // "" matches every vhost
	ApplyTo    string // "queues", "exchanges", "all" or "" (all); exchanges take only alternate-exchange
	Priority   int
	Definition map[string]any
	// API marks a policy set through PutPolicy (kept in meta); false is
	// one from the policies file. Policies sets it; SetPolicies ignores it.
	API bool
}

// compiledPolicy is a checked Policy.
type compiledPolicy struct {
	Policy
	re *regexp.Regexp
}

// compilePolicies checks ps: patterns compile, apply-to is known, the
// definitions hold only known keys with valid values.
func compilePolicies(ps []Policy) ([]compiledPolicy, error) {
	out := make([]compiledPolicy, 0, len(ps))
	for i, p := range ps {
		name := p.Name
		if name == "" {
			name = fmt.Sprintf("#%d", i+1)
		}
		re, err := regexp.Compile(p.Pattern)
		if err != nil {
			return nil, fmt.Errorf("policy %s: pattern: %w", name, err)
		}
		switch p.ApplyTo {
		case "", "all", "queues", "exchanges":
		default:
			return nil, fmt.Errorf("policy %s: apply-to %q: want queues, exchanges or all", name, p.ApplyTo)
		}
		if err := CheckPolicyDefinition(p.Definition); err != nil {
			return nil, fmt.Errorf("policy %s: %w", name, err)
		}
		def := make(map[string]any, len(p.Definition))
		for k, v := range p.Definition {
			def[k] = canonicalValue(v)
		}
		p.Definition = def
		out = append(out, compiledPolicy{Policy: p, re: re})
	}
	return out, nil
}

// policyFor returns the definition of the policy that applies to queue
// name in vhost, or nil.
func policyFor(ps []compiledPolicy, vhostName, name string) map[string]any {
	if best := bestPolicy(ps, "queues", vhostName, name); best != nil {
		return best.Definition
	}
	return nil
}

// bestPolicy returns the policy of ps that applies to the queue (kind
// "queues") or exchange (kind "exchanges") name in vhost, or nil: of
// those for kind or all whose pattern matches, the highest priority,
// the first of a tie. Only that one applies, as in RabbitMQ.
func bestPolicy(ps []compiledPolicy, kind, vhostName, name string) *compiledPolicy {
	var best *compiledPolicy
	for i := range ps {
		p := &ps[i]
		if p.VHost != "" && p.VHost != vhostName || p.ApplyTo != "" && p.ApplyTo != "all" && p.ApplyTo != kind || !p.re.MatchString(name) {
			continue
		}
		if best == nil || p.Priority > best.Priority {
			best = p
		}
	}
	return best
}

// SetPolicies replaces the policies of the policies file and applies
// them, with those set through the API, to every queue at once. A set
// with an error is refused whole, and nothing changes. A queue whose own
// arguments and the new policy do not agree (an invalid combination)
// keeps its arguments alone, logged.
func (b *Broker) SetPolicies(ps []Policy) error {
	b.policyMu.Lock()
	defer b.policyMu.Unlock()
	file := make([]Policy, len(ps))
	for i, p := range ps {
		p.API = false
		file[i] = p
	}
	cps, err := compilePolicies(append(file, b.policySet(true)...))
	if err != nil {
		return err
	}
	b.applyPolicies(cps)
	return nil
}

// applyPolicies makes cps the broker's policies and gives every queue
// its rules under them.
func (b *Broker) applyPolicies(cps []compiledPolicy) {
	b.mu.Lock()
	b.policies = cps
	var all []*entry
	var defs []meta.Queue // copied under b.mu: SetQueueArgs may change them
	for _, vh := range b.vhosts {
		for _, e := range vh.queues {
			all = append(all, e)
			defs = append(defs, e.def)
		}
	}
	b.mu.Unlock()
	now := b.clock.Now()
	for i, e := range all {
		d := defs[i]
		r, err := ParseRules(d.VHost, d.Name, d.Args, policyFor(cps, d.VHost, d.Name))
		if err != nil {
			b.logger.Error("policy does not apply to queue", slog.String("vhost", d.VHost), slog.String("queue", d.Name), slog.Any("err", err))
			if r, err = ParseRules(d.VHost, d.Name, d.Args, nil); err != nil {
				continue
			}
		}
		e.rules.Store(&r)
		b.watch(e, &r)
		e.q.SetPolicy(r.EnginePolicy(), now)
	}
}

// Policies returns the broker's policies.
func (b *Broker) Policies() []Policy {
	b.mu.RLock()
	defer b.mu.RUnlock()
	out := make([]Policy, len(b.policies))
	for i, p := range b.policies {
		out[i] = p.Policy
	}
	return out
}

// policySet returns the API's policies (api) or the file's.
func (b *Broker) policySet(api bool) []Policy {
	b.mu.RLock()
	defer b.mu.RUnlock()
	var out []Policy
	for _, p := range b.policies {
		if p.API == api {
			out = append(out, p.Policy)
		}
	}
	return out
}
