// Package meta keeps the broker's definitions — vhosts, durable queues,
// exchanges, bindings and the policies set through the admin API; users
// later — in a bbolt file,
// so that a restart finds them again.
//
// Definitions are small and change rarely, so each change is its own
// bbolt read-write transaction, which bbolt fsyncs before Update returns:
// when a Put or Delete returns nil, the change survives a power cut. Values
// are JSON, so the file can be inspected with bbolt's CLI and a field can
// be added without a migration.
//
// Layout (bucket → key → value):
//
//	meta      → "version"                        → "1"
//	vhosts    → <vhost>                          → VHost as JSON
//	queues    → <vhost> (bucket) → <queue>       → Queue as JSON
//	exchanges → <vhost> (bucket) → <exchange>    → Exchange as JSON
//	bindings  → <vhost> (bucket) → <binding key> → Binding as JSON
//	policies  → <vhost> (bucket) → <policy>      → Policy as JSON
//
// Definitions sit in a bucket per vhost so that names need no escaping and
// deleting a vhost deletes its queues, exchanges and bindings in the same
// transaction. A binding's key is its source, destination type,
// destination and routing key, each length-prefixed, then the SHA-256 of
// its arguments. Deleting a queue or an exchange deletes the bindings
// that name it in the same transaction, so no stored binding outlives an
// end (the buckets were added within format version 1: Open creates them
// in older files).
//
// Exchange and binding arguments are kept as AMQP field tables in wire
// form (base64 in the JSON), not as JSON values: a headers binding
// matches on typed values, which must come back as they were.
//
// meta knows nothing of what the definitions mean; the broker decides what
// to store and checks it. Queue arguments are kept as JSON and read back
// with numbers as json.Number, so no integer loses precision on the way.
package meta
