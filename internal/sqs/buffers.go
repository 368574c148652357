package sqs

import (
	"io"
	"net/http"
	"sync"
)

// Request bodies and answers are built in pooled buffers: a batch of ten
// 1 KiB messages is some 13 KiB each way, and growing a fresh buffer for
// each of thousands of calls a second was the largest share of the
// front end's allocations (so of its garbage collection). Nothing keeps
// a reference into either buffer past the call: decoders copy the
// strings they return, and net/http copies (or writes out) what Write is
// given before it returns.

// maxPooledBuffer is the largest buffer put back in the pool; a rare
// huge request should not pin its memory for good.
const maxPooledBuffer = 1 << 20

var bufferPool = sync.Pool{New: func() any { b := make([]byte, 0, 16<<10); return &b }}

func getBuffer() *[]byte { return bufferPool.Get().(*[]byte) }

func putBuffer(b *[]byte) {
	if cap(*b) > maxPooledBuffer {
		return
	}
	*b = (*b)[:0]
	bufferPool.Put(b)
}

// readBody reads hr's body, at most limit bytes plus one (so that a longer
// body can be told apart), into buf.
func readBody(hr *http.Request, buf []byte, limit int64) ([]byte, error) {
	buf = buf[:0]
	if n := hr.ContentLength; n > 0 && n <= limit && int64(cap(buf)) < n+1 {
		buf = make([]byte, 0, n+1) // +1: room to see EOF without growing
	}
	r := io.LimitReader(hr.Body, limit+1)
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}
