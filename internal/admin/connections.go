package admin

import (
	"fmt"
	"net"
	"net/http"
	"strconv"

	"github.com/ferrymq/ferry/internal/amqp"
)

// hostPort splits an address for RabbitMQ's peer_host/peer_port fields.
func hostPort(addr string) (string, int) {
	h, p, err := net.SplitHostPort(addr)
	if err != nil {
		return addr, 0
	}
	n, _ := strconv.Atoi(p)
	return h, n
}

type connectionJSON struct {
	Name        string `json:"name"`
	Node        string `json:"node"`
	Type        string `json:"type"`
	Protocol    string `json:"protocol"`
	State       string `json:"state"`
	User        string `json:"user"`
	VHost       string `json:"vhost"`
	PeerHost    string `json:"peer_host"`
	PeerPort    int    `json:"peer_port"`
	Host        string `json:"host"`
	Port        int    `json:"port"`
	Channels    int    `json:"channels"`
	RecvOct     uint64 `json:"recv_oct"`
	SendOct     uint64 `json:"send_oct"`
	ConnectedAt int64  `json:"connected_at"` // ms since the epoch
	FrameMax    uint32 `json:"frame_max"`
	ChannelMax  uint16 `json:"channel_max"`
	Timeout     int    `json:"timeout"` // heartbeat, seconds
}

func (s *Server) connections() []amqp.ConnectionInfo {
	if s.amqp == nil {
		return nil
	}
	return s.amqp.Connections()
}

func (s *Server) listConnections(w http.ResponseWriter, _ *http.Request, _ params) {
	out := []connectionJSON{}
	for _, c := range s.connections() {
		ph, pp := hostPort(c.Peer)
		h, p := hostPort(c.Local)
		out = append(out, connectionJSON{
			Name: c.Name, Node: nodeName, Type: "network", Protocol: "AMQP 0-9-1", State: "running",
			User: c.User, VHost: c.VHost, PeerHost: ph, PeerPort: pp, Host: h, Port: p, Channels: c.Channels,
			RecvOct: c.BytesIn, SendOct: c.BytesOut, ConnectedAt: c.ConnectedAt.UnixMilli(),
			FrameMax: c.FrameMax, ChannelMax: c.ChannelMax, Timeout: int(c.Heartbeat.Seconds()),
		})
	}
	writeJSON(w, http.StatusOK, out)
}

// deleteConnection closes a connection with 320 CONNECTION_FORCED; the
// X-Reason header gives the text, as in RabbitMQ.
func (s *Server) deleteConnection(w http.ResponseWriter, r *http.Request, p params) {
	reason := r.Header.Get("X-Reason")
	if reason == "" {
		reason = "Closed via management plugin"
	}
	if s.amqp == nil || !s.amqp.CloseConnection(p.get("name"), reason) {
		writeError(w, http.StatusNotFound, "Object Not Found", "no connection '"+p.get("name")+"'")
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

type connDetails struct {
	Name     string `json:"name"`
	PeerHost string `json:"peer_host"`
	PeerPort int    `json:"peer_port"`
}

// peerOf finds the peer of connection name (RabbitMQ's names start with
// it: "peer -> local").
func peerOf(conns []amqp.ConnectionInfo, name string) (string, int) {
	for _, c := range conns {
		if c.Name == name {
			return hostPort(c.Peer)
		}
	}
	return "", 0
}

type channelJSON struct {
	Name                   string      `json:"name"`
	Node                   string      `json:"node"`
	Number                 uint16      `json:"number"`
	User                   string      `json:"user"`
	VHost                  string      `json:"vhost"`
	State                  string      `json:"state"`
	PrefetchCount          int         `json:"prefetch_count"`
	GlobalPrefetchCount    int         `json:"global_prefetch_count"`
	MessagesUnacknowledged int         `json:"messages_unacknowledged"`
	ConsumerCount          int         `json:"consumer_count"`
	ConnectionDetails      connDetails `json:"connection_details"`
}

func channelName(conn string, n uint16) string { return fmt.Sprintf("%s (%d)", conn, n) }

func (s *Server) listChannels(w http.ResponseWriter, _ *http.Request, _ params) {
	out := []channelJSON{}
	if s.amqp != nil {
		conns := s.amqp.Connections()
		for _, c := range s.amqp.Channels() {
			ph, pp := peerOf(conns, c.Connection)
			out = append(out, channelJSON{
				Name: channelName(c.Connection, c.Number), Node: nodeName, Number: c.Number, User: c.User, VHost: c.VHost,
				State: "running", PrefetchCount: c.Prefetch, GlobalPrefetchCount: c.GlobalPrefetch,
				MessagesUnacknowledged: c.Unacked, ConsumerCount: c.Consumers,
				ConnectionDetails: connDetails{Name: c.Connection, PeerHost: ph, PeerPort: pp},
			})
		}
	}
	writeJSON(w, http.StatusOK, out)
}

type consumerJSON struct {
	ConsumerTag    string         `json:"consumer_tag"`
	Queue          queueRef       `json:"queue"`
	ChannelDetails chanDetails    `json:"channel_details"`
	AckRequired    bool           `json:"ack_required"`
	Exclusive      bool           `json:"exclusive"`
	PrefetchCount  int            `json:"prefetch_count"`
	Active         bool           `json:"active"`
	ActivityStatus string         `json:"activity_status"`
	Arguments      map[string]any `json:"arguments"`
}

type queueRef struct {
	Name  string `json:"name"`
	VHost string `json:"vhost"`
}

type chanDetails struct {
	Name           string `json:"name"`
	Number         uint16 `json:"number"`
	ConnectionName string `json:"connection_name"`
	PeerHost       string `json:"peer_host"`
	PeerPort       int    `json:"peer_port"`
}

func (s *Server) listConsumers(w http.ResponseWriter, _ *http.Request, _ params) {
	out := []consumerJSON{}
	if s.amqp != nil {
		conns := s.amqp.Connections()
		for _, k := range s.amqp.Consumers() {
			ph, pp := peerOf(conns, k.Connection)
			out = append(out, consumerJSON{
				ConsumerTag: k.Tag, Queue: queueRef{Name: k.Queue, VHost: k.VHost},
				ChannelDetails: chanDetails{Name: channelName(k.Connection, k.Channel), Number: k.Channel, ConnectionName: k.Connection, PeerHost: ph, PeerPort: pp},
				AckRequired:    k.AckRequired, Exclusive: k.Exclusive, PrefetchCount: k.Prefetch, Active: true, ActivityStatus: "up",
				Arguments: map[string]any{},
			})
		}
	}
	writeJSON(w, http.StatusOK, out)
}
