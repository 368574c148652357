package segment

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"sync"
)

// CrashFS is an in-memory FS for tests that remembers what was made
// durable, so a test can cut the power (Crash, CrashTorn) and reopen the
// same CrashFS as after a reboot. It also counts operations and can fail or
// pause them (FailAfter, OnOp). Modelled on pebble's vfs.NewCrashableMem.
//
// Its model of durability, per POSIX:
//   - a file's content is durable up to its last File.Sync;
//   - a file's existence (creation or removal) is durable once its
//     directory has been synced with SyncDir;
//   - directories themselves are always durable (MkdirAll is not modelled).
//
// Write always appends; WriteAt writes in place (and grows the file with
// zeros when it writes past the end). Handles opened
// before a crash fail afterwards, as the process that held them is gone,
// and so does an operation whose OnOp hook called Crash. Crash a Log that
// is idle, or from OnOp: an OpenFile, Remove or SyncDir racing with a Crash
// from another goroutine may land on the rebooted side. All methods are
// safe for concurrent use.
type CrashFS struct {
	mu sync.Mutex
	// All fields are guarded by mu.
	gen     int                              // bumped by every crash; older handles are stale
	live    map[string]map[string]*crashNode // dir → name → file, as the running process sees it
	durable map[string]map[string]*crashNode // dir → name → file, as of the dir's last SyncDir
	counts  map[string]int                   // op → calls, failed ones included
	failIn  map[string]int                   // op → calls left until one fails (FailAfter)
	hook    func(op, name string) error      // see OnOp
}

// crashNode is one file's content. synced shares its bytes with data until
// a write would change a shared byte: appends never write below len(data),
// and WriteAt below len(synced) and Truncate copy data first, so a snapshot
// taken by Sync is never changed underneath.
type crashNode struct {
	data      []byte
	synced    []byte
	truncated bool // Truncate ran since the last Sync: data is not synced+appended bytes
	// lo is the lowest offset written since the last Sync (len(synced)
	// when every change since was an append); CrashTorn keeps a prefix of
	// what changed from there.
	lo int64
}

// Operation names for FailAfter, OnOp and Count.
const (
	OpOpen     = "open"
	OpWrite    = "write"
	OpRead     = "read"
	OpSync     = "sync"
	OpTruncate = "truncate"
	OpRemove   = "remove"
	OpRename   = "rename"
	OpSyncDir  = "syncdir"
)

// ErrInjected is the error of an operation failed by FailAfter.
var ErrInjected = errors.New("crashfs: injected I/O error")

var errStale = errors.New("crashfs: operation of a process that lost power")

// NewCrashFS returns an empty CrashFS.
func NewCrashFS() *CrashFS {
	return &CrashFS{
		live:    map[string]map[string]*crashNode{},
		durable: map[string]map[string]*crashNode{},
		counts:  map[string]int{},
		failIn:  map[string]int{},
	}
}

// FailAfter makes the n-th next call of op (n >= 1) fail with ErrInjected;
// calls after it succeed again.
func (c *CrashFS) FailAfter(op string, n int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.failIn[op] = n
}

// OnOp installs fn (nil removes it), called before every operation with
// its name and file path, without CrashFS's lock held: it may block (to
// hold the Log's flusher at a known point) or call Crash. A non-nil result
// fails the operation with that error.
func (c *CrashFS) OnOp(fn func(op, name string) error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.hook = fn
}

// Count reports how many times op was called, failed calls included.
func (c *CrashFS) Count(op string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.counts[op]
}

// begin runs the hook and the failure countdown for op, then returns with
// c.mu held (unless it fails). An operation during whose hook the power was
// cut belongs to the dead process and fails.
func (c *CrashFS) begin(op, name string) error { return c.beginLife(op, name, anyLife) }

// anyLife: an operation through the CrashFS itself, which every life
// shares (see Life).
const anyLife = -1

// beginLife is begin for an operation of the life that started at
// generation life (anyLife: not tied to one): it fails if the power was
// cut since.
func (c *CrashFS) beginLife(op, name string, life int) error {
	c.mu.Lock()
	hook, gen := c.hook, c.gen
	c.mu.Unlock()
	var err error
	if hook != nil {
		err = hook(op, name)
	}
	c.mu.Lock()
	c.counts[op]++
	if err == nil && (c.gen != gen || (life != anyLife && c.gen != life)) {
		err = errStale
	}
	if n, ok := c.failIn[op]; ok && err == nil {
		if n <= 1 {
			delete(c.failIn, op)
			err = ErrInjected
		} else {
			c.failIn[op] = n - 1
		}
	}
	if err != nil {
		c.mu.Unlock()
		return &fs.PathError{Op: op, Path: name, Err: err}
	}
	return nil
}

// MkdirAll creates dir; it is durable at once.
func (c *CrashFS) MkdirAll(dir string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	dir = filepath.Clean(dir)
	if c.live[dir] == nil {
		c.live[dir] = map[string]*crashNode{}
		c.durable[dir] = map[string]*crashNode{}
	}
	return nil
}

// lookupLocked returns the live entries of name's directory.
func (c *CrashFS) lookupLocked(name string) (map[string]*crashNode, string, error) {
	dir, base := filepath.Split(filepath.Clean(name))
	entries := c.live[filepath.Clean(dir)]
	if entries == nil {
		return nil, "", &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	return entries, base, nil
}

// OpenFile opens or creates name. Supported flags: O_RDONLY, O_WRONLY,
// O_RDWR, O_CREATE, O_EXCL, O_TRUNC; O_APPEND is implied for writes.
func (c *CrashFS) OpenFile(name string, flag int, perm os.FileMode) (File, error) {
	return c.openFile(name, flag, anyLife)
}

func (c *CrashFS) openFile(name string, flag int, life int) (File, error) {
	if err := c.beginLife(OpOpen, name, life); err != nil {
		return nil, err
	}
	defer c.mu.Unlock()
	entries, base, err := c.lookupLocked(name)
	if err != nil {
		return nil, err
	}
	n := entries[base]
	switch {
	case n != nil && flag&(os.O_CREATE|os.O_EXCL) == os.O_CREATE|os.O_EXCL:
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrExist}
	case n == nil && flag&os.O_CREATE == 0:
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	case n == nil:
		n = &crashNode{}
		entries[base] = n
	}
	writable := flag&(os.O_WRONLY|os.O_RDWR) != 0
	if writable && flag&os.O_TRUNC != 0 {
		n.data, n.truncated = nil, true
	}
	return &crashFile{c: c, n: n, name: name, gen: c.gen, writable: writable}, nil
}

// Remove deletes name; the deletion is durable after SyncDir.
func (c *CrashFS) Remove(name string) error { return c.remove(name, anyLife) }

func (c *CrashFS) remove(name string, life int) error {
	if err := c.beginLife(OpRemove, name, life); err != nil {
		return err
	}
	defer c.mu.Unlock()
	entries, base, err := c.lookupLocked(name)
	if err != nil {
		return err
	}
	if entries[base] == nil {
		return &fs.PathError{Op: "remove", Path: name, Err: fs.ErrNotExist}
	}
	delete(entries, base)
	return nil
}

// Rename moves oldname to newname (replacing it); both must be in the
// same directory. Like a creation, the move is durable after SyncDir.
func (c *CrashFS) Rename(oldname, newname string) error { return c.rename(oldname, newname, anyLife) }

func (c *CrashFS) rename(oldname, newname string, life int) error {
	if err := c.beginLife(OpRename, oldname, life); err != nil {
		return err
	}
	defer c.mu.Unlock()
	entries, oldBase, err := c.lookupLocked(oldname)
	if err != nil {
		return err
	}
	if filepath.Dir(filepath.Clean(oldname)) != filepath.Dir(filepath.Clean(newname)) {
		return &os.LinkError{Op: "rename", Old: oldname, New: newname, Err: fs.ErrInvalid}
	}
	n := entries[oldBase]
	if n == nil {
		return &os.LinkError{Op: "rename", Old: oldname, New: newname, Err: fs.ErrNotExist}
	}
	delete(entries, oldBase)
	entries[filepath.Base(newname)] = n
	return nil
}

// ReadDir lists the files in dir, sorted.
func (c *CrashFS) ReadDir(dir string) ([]string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	entries := c.live[filepath.Clean(dir)]
	if entries == nil {
		return nil, &fs.PathError{Op: "readdir", Path: dir, Err: fs.ErrNotExist}
	}
	names := make([]string, 0, len(entries))
	for name := range entries {
		names = append(names, name)
	}
	sort.Strings(names)
	return names, nil
}

// SyncDir makes dir's current entries durable.
func (c *CrashFS) SyncDir(dir string) error { return c.syncDir(dir, anyLife) }

func (c *CrashFS) syncDir(dir string, life int) error {
	if err := c.beginLife(OpSyncDir, dir, life); err != nil {
		return err
	}
	defer c.mu.Unlock()
	dir = filepath.Clean(dir)
	entries := c.live[dir]
	if entries == nil {
		return &fs.PathError{Op: "syncdir", Path: dir, Err: fs.ErrNotExist}
	}
	c.durable[dir] = cloneEntries(entries)
	return nil
}

// Life returns the file system as one run of a process sees it: once the
// power is cut, every operation through it fails, as a process that lost
// power does nothing more. (Through the CrashFS itself, an operation that
// starts after a crash lands on the rebooted side: the Close or a
// goroutine of a log that "died" would still change the files its
// successor opens.) Handles opened through either fail after a crash.
func (c *CrashFS) Life() FS {
	c.mu.Lock()
	defer c.mu.Unlock()
	return crashLife{c: c, gen: c.gen}
}

type crashLife struct {
	c   *CrashFS
	gen int
}

func (l crashLife) MkdirAll(dir string) error { return l.c.MkdirAll(dir) }
func (l crashLife) OpenFile(name string, flag int, perm os.FileMode) (File, error) {
	return l.c.openFile(name, flag, l.gen)
}
func (l crashLife) Remove(name string) error             { return l.c.remove(name, l.gen) }
func (l crashLife) Rename(oldname, newname string) error { return l.c.rename(oldname, newname, l.gen) }
func (l crashLife) ReadDir(dir string) ([]string, error) { return l.c.ReadDir(dir) }
func (l crashLife) SyncDir(dir string) error             { return l.c.syncDir(dir, l.gen) }

func cloneEntries(m map[string]*crashNode) map[string]*crashNode {
	out := make(map[string]*crashNode, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// crashFile is an open handle on a crashNode.
type crashFile struct {
	c        *CrashFS
	n        *crashNode
	name     string
	gen      int  // CrashFS.gen at open; immutable
	writable bool // immutable
	closed   bool // guarded by c.mu
}

// beginFile is begin plus the checks every handle operation needs.
func (f *crashFile) beginFile(op string) error {
	if err := f.c.begin(op, f.name); err != nil {
		return err
	}
	switch {
	case f.closed:
		f.c.mu.Unlock()
		return &fs.PathError{Op: op, Path: f.name, Err: fs.ErrClosed}
	case f.gen != f.c.gen:
		f.c.mu.Unlock()
		return &fs.PathError{Op: op, Path: f.name, Err: errStale}
	}
	return nil
}

func (f *crashFile) ReadAt(p []byte, off int64) (int, error) {
	if err := f.beginFile(OpRead); err != nil {
		return 0, err
	}
	defer f.c.mu.Unlock()
	if off < 0 {
		return 0, &fs.PathError{Op: "read", Path: f.name, Err: fs.ErrInvalid}
	}
	if off >= int64(len(f.n.data)) {
		return 0, io.EOF
	}
	n := copy(p, f.n.data[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

func (f *crashFile) Write(p []byte) (int, error) {
	if err := f.beginFile(OpWrite); err != nil {
		return 0, err
	}
	defer f.c.mu.Unlock()
	if !f.writable {
		return 0, &fs.PathError{Op: "write", Path: f.name, Err: fs.ErrPermission}
	}
	f.n.data = append(f.n.data, p...)
	return len(p), nil
}

// WriteAt writes p at off, filling any gap past the end with zeros.
func (f *crashFile) WriteAt(p []byte, off int64) (int, error) {
	if err := f.beginFile(OpWrite); err != nil {
		return 0, err
	}
	defer f.c.mu.Unlock()
	if !f.writable || off < 0 {
		return 0, &fs.PathError{Op: "write", Path: f.name, Err: fs.ErrPermission}
	}
	n := f.n
	end := off + int64(len(p))
	if off < int64(len(n.synced)) {
		// The bytes at off are shared with the Sync snapshot: copy first.
		n.data = append(make([]byte, 0, max(end, int64(len(n.data)))), n.data...)
	}
	if grow := end - int64(len(n.data)); grow > 0 {
		n.data = append(n.data, make([]byte, grow)...)
	}
	copy(n.data[off:], p)
	n.lo = min(n.lo, off)
	return len(p), nil
}

func (f *crashFile) Sync() error {
	if err := f.beginFile(OpSync); err != nil {
		return err
	}
	defer f.c.mu.Unlock()
	f.n.synced = f.n.data[:len(f.n.data):len(f.n.data)]
	f.n.truncated = false
	f.n.lo = int64(len(f.n.synced))
	return nil
}

func (f *crashFile) Truncate(size int64) error {
	if err := f.beginFile(OpTruncate); err != nil {
		return err
	}
	defer f.c.mu.Unlock()
	if !f.writable || size < 0 {
		return &fs.PathError{Op: "truncate", Path: f.name, Err: fs.ErrInvalid}
	}
	// Copy, so that the bytes a Sync snapshot shares are never overwritten
	// by later appends.
	data := make([]byte, size)
	copy(data, f.n.data)
	f.n.data, f.n.truncated = data, true
	return nil
}

func (f *crashFile) Size() (int64, error) {
	f.c.mu.Lock()
	defer f.c.mu.Unlock()
	if f.closed {
		return 0, &fs.PathError{Op: "stat", Path: f.name, Err: fs.ErrClosed}
	}
	return int64(len(f.n.data)), nil
}

func (f *crashFile) Close() error {
	f.c.mu.Lock()
	defer f.c.mu.Unlock()
	if f.closed {
		return &fs.PathError{Op: "close", Path: f.name, Err: fs.ErrClosed}
	}
	f.closed = true
	return nil
}
