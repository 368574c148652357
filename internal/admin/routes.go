package admin

import "net/http"

// addRoutes registers every endpoint. Each one is described in apiDoc
// (openapi.go); a test checks that the two agree.
func (s *Server) addRoutes() {
	const (
		get, put, post, del = http.MethodGet, http.MethodPut, http.MethodPost, http.MethodDelete
		authed, open        = true, false
	)
	s.handle(get, "/api/overview", authed, s.overview)
	s.handle(get, "/api/whoami", authed, s.whoami)
	s.handle(get, "/api/aliveness-test/{vhost}", authed, s.aliveness)

	s.handle(get, "/api/vhosts", authed, s.listVHosts)
	s.handle(get, "/api/vhosts/{vhost}", authed, s.getVHost)
	s.handle(put, "/api/vhosts/{vhost}", authed, s.putVHost)
	s.handle(del, "/api/vhosts/{vhost}", authed, s.deleteVHost)

	s.handle(get, "/api/queues", authed, s.listQueues)
	s.handle(get, "/api/queues/{vhost}", authed, s.listQueues)
	s.handle(get, "/api/queues/{vhost}/{name}", authed, s.getQueue)
	s.handle(put, "/api/queues/{vhost}/{name}", authed, s.putQueue)
	s.handle(del, "/api/queues/{vhost}/{name}", authed, s.deleteQueue)
	s.handle(del, "/api/queues/{vhost}/{name}/contents", authed, s.purgeQueue)

	s.handle(get, "/api/exchanges", authed, s.listExchanges)
	s.handle(get, "/api/exchanges/{vhost}", authed, s.listExchanges)
	s.handle(get, "/api/exchanges/{vhost}/{name}", authed, s.getExchange)
	s.handle(put, "/api/exchanges/{vhost}/{name}", authed, s.putExchange)
	s.handle(del, "/api/exchanges/{vhost}/{name}", authed, s.deleteExchange)

	s.handle(get, "/api/bindings", authed, s.listBindings)
	s.handle(get, "/api/bindings/{vhost}", authed, s.listBindings)
	s.handle(get, "/api/bindings/{vhost}/e/{exchange}/q/{queue}", authed, s.getQueueBindings)
	s.handle(post, "/api/bindings/{vhost}/e/{exchange}/q/{queue}", authed, s.postQueueBinding)
	s.handle(del, "/api/bindings/{vhost}/e/{exchange}/q/{queue}/{props}", authed, s.deleteQueueBinding)

	s.handle(get, "/api/connections", authed, s.listConnections)
	s.handle(del, "/api/connections/{name}", authed, s.deleteConnection)
	s.handle(get, "/api/channels", authed, s.listChannels)
	s.handle(get, "/api/consumers", authed, s.listConsumers)

	s.handle(get, "/api/definitions", authed, s.exportDefinitions)
	s.handle(post, "/api/definitions", authed, s.importDefinitions)

	s.handle(get, "/api/policies", authed, s.listPolicies)
	s.handle(get, "/api/policies/{vhost}", authed, s.listPolicies)
	s.handle(get, "/api/policies/{vhost}/{name}", authed, s.getPolicy)
	s.handle(put, "/api/policies/{vhost}/{name}", authed, s.putPolicy)
	s.handle(del, "/api/policies/{vhost}/{name}", authed, s.deletePolicy)

	s.handle(get, "/api/ferry/queues/{vhost}/{name}/messages", authed, s.browse)
	s.handle(get, "/api/ferry/queues/{vhost}/{name}/messages/{id}", authed, s.getMessage)
	s.handle(del, "/api/ferry/queues/{vhost}/{name}/messages/{id}", authed, s.deleteMessage)
	s.handle(post, "/api/ferry/queues/{vhost}/{name}/redrive", authed, s.startRedrive)
	s.handle(get, "/api/ferry/redrives", authed, s.listRedrives)
	s.handle(get, "/api/ferry/redrives/{id}", authed, s.getRedrive)

	s.addCLIRoutes()
	s.addHealthRoutes()
	s.addUIRoutes()
	s.addHistoryRoutes()

	s.handle(get, "/api/openapi.json", open, s.openapi)
	s.handle(get, "/metrics", open, s.metrics)
}
