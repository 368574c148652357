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
// broker's queue stats, so the engine knows nothing of Prometheus.
package admin
