package session

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
	"time"
)

// TicketPrefix starts every clone ticket, followed by an id of the
// session id form with its parent's shard tag (Tag). With it a ticket is 47 characters
// long and never of the session id form (ValidID), so a ticket sent as a
// session id is rejected before any store is asked; and its key (the
// SHA-256 of the whole ticket) can never be the key of a session id.
const TicketPrefix = "cst-"

// DefaultCloneTicketTTL is how long a clone ticket may wait to be redeemed.
const DefaultCloneTicketTTL = time.Minute

// ValidTicket reports whether s has the form of a clone ticket: TicketPrefix
// followed by 43 characters of the session id form.
func ValidTicket(s string) bool {
	rest, ok := strings.CutPrefix(s, TicketPrefix)
	return ok && ValidID(rest)
}

// ticketKey is the store key of a ticket already known to be valid: the
// tag of its id part (its parent's tag) and the SHA-256 of the whole
// ticket.
func ticketKey(ticket string) Key {
	var buf [len(TicketPrefix) + IDLength]byte
	copy(buf[:], ticket)
	return taggedKey(tagOf(ticket[len(TicketPrefix):]), sha256.Sum256(buf[:]))
}

// AcquireCloneTicket issues a single-use clone ticket for the live session
// parentID (vCenter's SessionManager.AcquireCloneTicket): whoever redeems it
// with CloneSession within the ticket TTL (WithCloneTicketTTL, default 60
// s) gets a child session with the parent's identity, without ever seeing
// the parent's id. The ticket dies with its parent. The parent is touched.
//
// It fails with ErrUnknownSession (or ErrExpired) when parentID names no
// live session, ErrDepthExceeded when the child would be more than MaxDepth
// links from the root login session, ErrTicketLimit when the session holds
// WithMaxCloneTicketsPerSession outstanding tickets already,
// ErrUserRecordLimit, ErrStoreUnavailable or ErrRandom.
func (m *Manager) AcquireCloneTicket(ctx context.Context, parentID string) (string, error) {
	var parent Session
	if err := m.LookupInto(ctx, parentID, &parent); err != nil {
		return "", err
	}
	raw, err := newID(m.random, tagOf(parentID))
	if err != nil {
		return "", err
	}
	ticket := TicketPrefix + raw
	now := m.now()
	rec := Record{
		Identity:     parent.Identity,
		Created:      now,
		LastAccessed: now,
		IdleTimeout:  m.ticketTTL,
		Expiry:       now.Add(m.ticketTTL),
		Kind:         KindTicket,
		Parent:       keyOf(parentID),
	}
	if err := m.store.Insert(ctx, ticketKey(ticket), rec, m.limits); err != nil {
		return "", storeError(err)
	}
	return ticket, nil
}

// CloneSession redeems a clone ticket (vCenter's
// SessionManager.CloneSession): the ticket is removed in the same atomic
// step that reads it, so of any number of concurrent redeemers exactly one
// succeeds, and it gets a new child session (KindChild) of the ticket's
// parent. The child has its own id, idle timeout and lifetime, counts
// toward the user's cap and toward the derived sessions of the login
// session at the root of its chain (WithMaxChildSessions), and ends when
// its parent ends.
//
// It fails with ErrUnknownTicket (unknown, malformed, already redeemed, or
// its parent ended), ErrTicketExpired, ErrSessionLimit, ErrChildLimit or
// ErrUserRecordLimit (the ticket is used up all the same), ErrStoreUnavailable or ErrRandom. ErrUnknownTicket and
// ErrTicketExpired match ErrUnknownSession.
func (m *Manager) CloneSession(ctx context.Context, ticket string) (*Session, error) {
	if !ValidTicket(ticket) {
		return nil, ErrUnknownTicket
	}
	rec, err := m.store.Redeem(ctx, ticketKey(ticket), m.now())
	if err != nil {
		return nil, ticketError(storeError(err))
	}
	s, err := m.createChild(ctx, rec.Parent, rec.Identity)
	return s, ticketError(err)
}

// Derive creates a child session of the live session parentID directly,
// without a ticket (oVirt's derived REST session): the child has the
// parent's identity and ends when the parent ends. The parent is touched.
// It fails like Create, and with ErrUnknownSession (or ErrExpired) for a
// dead parent, ErrDepthExceeded for a chain already MaxDepth long and
// ErrChildLimit when the root login session has WithMaxChildSessions
// derived sessions already.
func (m *Manager) Derive(ctx context.Context, parentID string) (*Session, error) {
	var parent Session
	if err := m.LookupInto(ctx, parentID, &parent); err != nil {
		return nil, err
	}
	return m.createChild(ctx, keyOf(parentID), parent.Identity)
}

// createChild inserts a new child session of parent, with its tag: a
// child is kept with its parent.
func (m *Manager) createChild(ctx context.Context, parent Key, id Identity) (*Session, error) {
	return m.insertSession(ctx, id, KindChild, parent, parent.Tag())
}

// ticketError reports a parent that ended as an unknown ticket.
func ticketError(err error) error {
	if err != nil && !errors.Is(err, ErrUnknownTicket) && errors.Is(err, ErrUnknownSession) {
		return fmt.Errorf("%w: parent session ended", ErrUnknownTicket)
	}
	return err
}
