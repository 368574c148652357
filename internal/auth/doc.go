// Package auth owns who may connect: users with salted password hashes,
// the vhosts each may use, and the SASL mechanisms (PLAIN, AMQPLAIN) that
// carry their credentials. Front ends ask it; they never see a hash.
//
// # Passwords
//
// A password is kept as RabbitMQ's rabbit_password_hashing_sha256 keeps
// it, so definitions can be exchanged with RabbitMQ later: base64 of a
// 4-byte random salt followed by SHA-256(salt || password). Comparison is
// constant-time, and an unknown user costs the same hash as a known one,
// so the time a login takes does not reveal which names exist.
//
// # The guest user
//
// Default returns the user database a new node starts with: guest/guest
// with access to the default vhost "/", accepted only from a loopback
// address, as RabbitMQ's loopback_users setting does by default. A guest
// login from elsewhere fails as a bad password would (ErrLoopbackOnly
// wraps ErrInvalidCredentials), so a client cannot tell the two apart,
// while the server log can.
//
// # Locking
//
// Users.mu guards the user map and every user in it; a user is never
// changed in place after it is published, only replaced.
package auth
