package sqs

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"unicode/utf8"

	"github.com/ferrymq/ferry/internal/queue"
)

// A receipt handle names one delivery of one message: the queue, the
// engine's message id, the lease owner the ReceiveMessage call took it
// as, the delivery count, and a random nonce, so that every receive of a
// message gives a new handle, as in SQS. It is encoded as unpadded
// base64url of
//
//	version      1 byte (1)
//	owner        8 bytes, big-endian
//	message id   8 bytes
//	deliveries   4 bytes
//	nonce        8 bytes
//	queue name   the rest (1-80 bytes of UTF-8)
//
// A handle is only as good as the lease it names: once the message was
// deleted, or its visibility ran out and another receive took it, the
// engine no longer knows that owner for that message. DeleteMessage with
// such a stale handle succeeds and does nothing (the message, if still
// there, is delivered again), as SQS answers stale handles of standard
// queues; ChangeMessageVisibility answers MessageNotInflight. A handle
// that does not decode, or names another queue, is ReceiptHandleIsInvalid.
type receipt struct {
	owner      queue.Owner
	id         uint64
	deliveries uint32
	nonce      uint64
	queue      string
}

const receiptVersion = 1

// receiptFixed is the size of a handle before the queue name.
const receiptFixed = 1 + 8 + 8 + 4 + 8

func (r receipt) encode() string {
	b := make([]byte, 0, receiptFixed+len(r.queue))
	b = append(b, receiptVersion)
	b = binary.BigEndian.AppendUint64(b, uint64(r.owner))
	b = binary.BigEndian.AppendUint64(b, r.id)
	b = binary.BigEndian.AppendUint32(b, r.deliveries)
	b = binary.BigEndian.AppendUint64(b, r.nonce)
	b = append(b, r.queue...)
	return base64.RawURLEncoding.EncodeToString(b)
}

var errBadReceipt = errors.New("malformed receipt handle")

// decodeReceipt parses a handle made by encode.
func decodeReceipt(s string) (receipt, error) {
	if len(s) > 2*(receiptFixed+maxQueueNameLen) {
		return receipt{}, errBadReceipt
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) <= receiptFixed || len(b) > receiptFixed+maxQueueNameLen || b[0] != receiptVersion {
		return receipt{}, errBadReceipt
	}
	r := receipt{
		owner:      queue.Owner(binary.BigEndian.Uint64(b[1:])),
		id:         binary.BigEndian.Uint64(b[9:]),
		deliveries: binary.BigEndian.Uint32(b[17:]),
		nonce:      binary.BigEndian.Uint64(b[21:]),
		queue:      string(b[receiptFixed:]),
	}
	if !utf8.ValidString(r.queue) || checkQueueName(r.queue) != nil || r.owner < ownerBase {
		return receipt{}, errBadReceipt
	}
	return r, nil
}

// newNonce returns a random nonce for a handle.
func newNonce() uint64 {
	var b [8]byte
	rand.Read(b[:])
	return binary.BigEndian.Uint64(b[:])
}
