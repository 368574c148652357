// Package admin is Ferry's operator HTTP front end: a REST API that
// follows the paths and JSON shapes of RabbitMQ's management API
// (/api/overview, /api/queues, /api/exchanges, /api/bindings,
// /api/connections, /api/channels, /api/consumers, /api/vhosts,
// /api/definitions, /api/policies...), Ferry's own endpoints under
// /api/ferry (browsing messages, deleting one, redrive tasks), Prometheus
// metrics at /metrics and an OpenAPI document at /api/openapi.json.
//
// Like the other front ends it only translates: queues, exchanges and
// policies are the broker's; connections, channels and consumers are the
// AMQP server's read-only snapshots (amqp/introspect.go). Broker errors
// become HTTP statuses in one place (writeBrokerError).
//
// Routing is a small table matched on the raw, still escaped, path
// (routes.go), because the vhost "/" arrives as %2F and must stay one
// segment; http.ServeMux would unescape it first. Each route has an
// entry in apiDoc (openapi.go), and a test keeps the two in step.
//
// Rates (*_details.rate) come from a sampler that reads each queue's
// counters every SampleInterval; the rate is over the last interval.
// Metrics are built at scrape time by a custom collector from the
// broker's queue stats, so the engine knows nothing of Prometheus. The
// histograms (enqueue→ack per queue, publish→confirm, fsync duration and
// records per fsync) are plain fixed-bucket counts (package hist) kept
// by the queue, the broker and the disk store, turned into Prometheus
// histograms here.
//
// Access follows RabbitMQ's management tags (auth.go): a user with none
// gets 401 "Not management user"; monitoring reads everything in its
// vhosts but changes nothing; management also changes queues,
// exchanges, bindings and messages; policymaker also policies;
// administrator everything, vhosts, definitions and connections included.
// /healthz, /readyz (health.go), /metrics and the OpenAPI document need
// no credentials.
//
// Policies set here are the broker's "API" policies, kept in meta across
// restarts; those of the policies file stay the file's and cannot be
// changed here (see broker.Policy).
//
// Beside the API: RabbitMQ's publish and get endpoints (publish.go, for
// the CLI and scripts), message history (history.go, from the broker's
// history observer) and the dashboard (ui.go), whose files are embedded
// by package dashboard and served without credentials; its scripts call
// this API with basic auth like any client.
package admin
