package segment

import (
	"io/fs"
	"math/rand/v2"
	"path/filepath"
)

// Crash simulates a power cut: every directory reverts to its entries at
// its last SyncDir (files created since are forgotten, files removed since
// come back), every file reverts to its content at its last Sync, and
// handles opened before the crash fail from now on.
func (c *CrashFS) Crash() { c.crash(nil) }

// CrashTorn is Crash, except that each file whose unsynced changes were
// writes (appends, or in place) keeps some of them, as a torn write
// leaves them: in half the cases a random prefix of the changed bytes,
// the end of it reading as zeros one time in four (the file's new size
// reached the disk but its data did not); in the other half a random
// subset of the changed 512-byte sectors, so that a later sector can be
// on disk while an earlier one is not, and the new size only if a coin
// says so. A file truncated since its last Sync reverts to it.
func (c *CrashFS) CrashTorn(rng *rand.Rand) { c.crash(rng) }

func (c *CrashFS) crash(rng *rand.Rand) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	seen := map[*crashNode]bool{}
	for dir, entries := range c.durable {
		c.live[dir] = cloneEntries(entries)
		for _, n := range entries {
			if !seen[n] {
				seen[n] = true
				n.revert(rng)
			}
		}
	}
}

// revert sets the node to what survives the crash.
func (n *crashNode) revert(rng *rand.Rand) {
	synced := n.synced
	lo := min(n.lo, int64(len(synced)))
	if rng != nil && !n.truncated && int64(len(n.data)) > lo && rng.IntN(2) == 0 {
		synced = n.tornSectors(rng, lo)
	} else if rng != nil && !n.truncated && int64(len(n.data)) > lo {
		// Writes reach the disk in order up to some point: the bytes
		// changed since the sync (appended, or written in place from lo)
		// survive up to a random end, the old ones after it.
		extra := n.data[lo:]
		keep := int64(rng.IntN(len(extra) + 1))
		torn := make([]byte, max(lo+keep, int64(len(synced))))
		copy(torn, synced)
		copy(torn[lo:], extra[:keep])
		if keep > 0 && rng.IntN(4) == 0 {
			clear(torn[lo+int64(rng.IntN(int(keep))) : lo+keep])
		}
		synced = torn
	}
	n.data = synced[:len(synced):len(synced)]
	n.synced = n.data
	n.truncated = false
	n.lo = int64(len(n.synced))
}

// tornSectors is what survives when the disk wrote a random subset of the
// 512-byte sectors changed since the last sync (from lo): each keeps its
// new bytes or its old ones (zeros past the old end), and the file has its
// new size or its old one.
func (n *crashNode) tornSectors(rng *rand.Rand, lo int64) []byte {
	const sector = 512
	size := int64(len(n.synced))
	if int64(len(n.data)) > size && rng.IntN(2) == 0 {
		size = int64(len(n.data))
	}
	out := make([]byte, size)
	copy(out, n.synced)
	for s := lo / sector * sector; s < size; s += sector {
		if rng.IntN(2) == 0 {
			continue
		}
		from, to := max(s, lo), min(s+sector, size, int64(len(n.data)))
		if from < to {
			copy(out[from:to], n.data[from:to])
		}
	}
	return out
}

// ReadFile returns a copy of name's current content (what a reader would
// see now, synced or not).
func (c *CrashFS) ReadFile(name string) ([]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	n, err := c.nodeLocked(name)
	if err != nil {
		return nil, err
	}
	return append([]byte(nil), n.data...), nil
}

// SyncedSize reports how many bytes of name would survive Crash.
func (c *CrashFS) SyncedSize(name string) (int64, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	n, err := c.nodeLocked(name)
	if err != nil {
		return 0, err
	}
	return int64(len(n.synced)), nil
}

// WriteFile creates or replaces name with data, durably (content and
// directory entry), so tests can plant damaged files. It bypasses OnOp,
// FailAfter and Count.
func (c *CrashFS) WriteFile(name string, data []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	entries, base, err := c.lookupLocked(name)
	if err != nil {
		return err
	}
	d := append([]byte(nil), data...)
	n := &crashNode{data: d, synced: d[:len(d):len(d)], lo: int64(len(d))}
	entries[base] = n
	c.durable[filepath.Dir(filepath.Clean(name))][base] = n
	return nil
}

func (c *CrashFS) nodeLocked(name string) (*crashNode, error) {
	entries, base, err := c.lookupLocked(name)
	if err != nil {
		return nil, err
	}
	n := entries[base]
	if n == nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	return n, nil
}
