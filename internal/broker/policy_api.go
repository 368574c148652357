package broker

import (
	"fmt"
	"log/slog"
	"slices"

	"github.com/ferrymq/ferry/internal/meta"
)

// initialPolicies compiles the file's policies (an error stops New, as a
// bad file should) followed by those stored in meta. A stored policy
// that no longer compiles (a definition key this build does not know) is
// logged and left out rather than keeping the node from starting.
func (b *Broker) initialPolicies(file []Policy) ([]compiledPolicy, error) {
	file = slices.Clone(file)
	for i := range file {
		file[i].API = false
	}
	out, err := compilePolicies(file)
	if err != nil || b.meta == nil {
		return out, err
	}
	stored, err := b.meta.Policies()
	if err != nil {
		return nil, fmt.Errorf("load policies: %w", err)
	}
	for _, sp := range stored {
		p := policyOfMeta(sp)
		cp, err := compilePolicies([]Policy{p})
		if err != nil {
			b.logger.Error("stored policy left out: it does not compile", slog.String("vhost", p.VHost), slog.String("policy", p.Name), slog.Any("err", err))
			continue
		}
		out = append(out, cp...)
	}
	return out, nil
}

func policyOfMeta(sp meta.Policy) Policy {
	return Policy{Name: sp.Name, VHost: sp.VHost, Pattern: sp.Pattern, ApplyTo: sp.ApplyTo, Priority: sp.Priority, Definition: sp.Definition, API: true}
}

// PutPolicy adds or replaces (by vhost and name) a policy of the API,
// stores it in meta (so that it survives a restart) and applies it to
// every queue at once; created reports whether it is new. It fails with
// InvalidArgument for a policy that does not compile, NotFound for a
// missing vhost, and NotAllowed for a name the policies file owns in that
// vhost. On failure nothing changes.
func (b *Broker) PutPolicy(p Policy) (created bool, err error) {
	p.API = true
	if p.Name == "" {
		return false, newError(InvalidArgument, "a policy needs a name")
	}
	if _, err := compilePolicies([]Policy{p}); err != nil {
		return false, &Error{Code: InvalidArgument, Msg: fmt.Sprintf("policy '%s' in vhost '%s'", p.Name, p.VHost), Err: err}
	}
	b.policyMu.Lock()
	defer b.policyMu.Unlock()
	b.mu.RLock()
	_, err = b.vhostLocked(p.VHost)
	b.mu.RUnlock()
	if err != nil {
		return false, err
	}
	if slices.ContainsFunc(b.policySet(false), func(o Policy) bool { return o.Name == p.Name && (o.VHost == p.VHost || o.VHost == "") }) {
		return false, newError(NotAllowed, "policy '%s' in vhost '%s' comes from the policies file; change it there", p.Name, p.VHost)
	}
	api := b.policySet(true)
	i := slices.IndexFunc(api, func(o Policy) bool { return o.VHost == p.VHost && o.Name == p.Name })
	if i >= 0 {
		api[i] = p
	} else {
		api = append(api, p)
	}
	cps, err := compilePolicies(append(b.policySet(false), api...))
	if err != nil {
		return false, &Error{Code: InvalidArgument, Msg: fmt.Sprintf("policy '%s' in vhost '%s'", p.Name, p.VHost), Err: err}
	}
	if b.meta != nil {
		mp := meta.Policy{VHost: p.VHost, Name: p.Name, Pattern: p.Pattern, ApplyTo: p.ApplyTo, Priority: p.Priority, Definition: p.Definition}
		if err := b.meta.PutPolicy(mp); err != nil {
			return false, &Error{Code: Internal, Msg: fmt.Sprintf("cannot store policy '%s' in vhost '%s'", p.Name, p.VHost), Err: err}
		}
	}
	b.applyPolicies(cps)
	return i < 0, nil
}

// DeletePolicy deletes a policy of the API from meta and from every
// queue it applied to. NotFound if there is none of that name in vhost;
// NotAllowed if it is the policies file's.
func (b *Broker) DeletePolicy(vhostName, name string) error {
	b.policyMu.Lock()
	defer b.policyMu.Unlock()
	api := b.policySet(true)
	i := slices.IndexFunc(api, func(o Policy) bool { return o.VHost == vhostName && o.Name == name })
	if i < 0 {
		if slices.ContainsFunc(b.policySet(false), func(o Policy) bool { return o.Name == name && (o.VHost == vhostName || o.VHost == "") }) {
			return newError(NotAllowed, "policy '%s' in vhost '%s' comes from the policies file; remove it there", name, vhostName)
		}
		return newError(NotFound, "no policy '%s' in vhost '%s'", name, vhostName)
	}
	if b.meta != nil {
		if err := b.meta.DeletePolicy(vhostName, name); err != nil {
			return &Error{Code: Internal, Msg: fmt.Sprintf("cannot delete policy '%s' in vhost '%s'", name, vhostName), Err: err}
		}
	}
	cps, err := compilePolicies(append(b.policySet(false), slices.Delete(api, i, i+1)...))
	if err != nil {
		return &Error{Code: Internal, Msg: "policies", Err: err} // they compiled before
	}
	b.applyPolicies(cps)
	return nil
}

// dropVHostPolicies forgets the API's policies of a deleted vhost (meta
// deleted them with the vhost).
func (b *Broker) dropVHostPolicies(vhostName string) {
	b.policyMu.Lock()
	defer b.policyMu.Unlock()
	b.mu.Lock()
	defer b.mu.Unlock()
	// A new slice: others may still read the old one outside the lock.
	kept := make([]compiledPolicy, 0, len(b.policies))
	for _, p := range b.policies {
		if !p.API || p.VHost != vhostName {
			kept = append(kept, p)
		}
	}
	b.policies = kept
}

// PolicyOf returns the policy that applies to queue name in vhost (ok
// false when none does), as the admin API shows it beside the queue.
func (b *Broker) PolicyOf(vhostName, name string) (p Policy, ok bool) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	if best := bestPolicy(b.policies, "queues", vhostName, name); best != nil {
		return best.Policy, true
	}
	return Policy{}, false
}
