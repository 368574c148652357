// Package cli is the ferry operator CLI: queues, publish, consume, dead
// letters, message history, connections and status, as a client of the
// admin HTTP API (internal/admin) and nothing else. It never opens the
// data folder or links the broker, so it works against a node on
// another machine exactly as against a local one, and whatever it can
// do an operator can also do with curl.
//
// Commands are "ferry NOUN VERB ARGS [flags]"; flags may come before,
// between or after the positional arguments. Every command takes the
// connection flags (--admin-url, --user, --password, --vhost, with
// FERRY_ADMIN_URL, FERRY_ADMIN_USER, FERRY_ADMIN_PASSWORD as defaults)
// and --json, which prints the API's own JSON, indented, in place of the
// table: tables are for people and may change, the JSON is the API's
// contract and is what scripts should read.
//
// The API's answers are decoded into local structs holding only the
// fields shown: the admin package's types carry server-side concerns,
// and a client that reads only what it needs keeps working when the
// server adds fields.
//
// Exit codes: 0 success; 1 the API refused (its reason is printed),
// could not be reached, or the operation failed (a failed redrive, an
// unroutable publish); 2 a usage error (the command's usage is printed).
package cli
