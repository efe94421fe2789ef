package web

import (
	"fmt"
	"net/http"
	"net/netip"
	"strings"
)

// TrustedProxies are the reverse proxies whose X-Forwarded-For and
// X-Forwarded-Proto the dashboard believes: addresses and prefixes.
type TrustedProxies []netip.Prefix

// ParseTrustedProxies reads comma-separated addresses and CIDR prefixes
// (10.0.0.0/8, 192.0.2.7, 2001:db8::/32); empty trusts no proxy.
func ParseTrustedProxies(s string) (TrustedProxies, error) {
	var tp TrustedProxies
	for field := range strings.SplitSeq(s, ",") {
		field = strings.TrimSpace(field)
		if field == "" {
			continue
		}
		var p netip.Prefix
		var err error
		if strings.Contains(field, "/") {
			p, err = netip.ParsePrefix(field)
		} else {
			var a netip.Addr
			if a, err = netip.ParseAddr(field); err == nil && a.Zone() == "" {
				p = netip.PrefixFrom(a, a.BitLen())
			}
		}
		if err != nil || !p.IsValid() {
			return nil, fmt.Errorf("%q is not an IP address or CIDR prefix such as 10.0.0.0/8 or 2001:db8::/32", field)
		}
		// An IPv4-mapped prefix (::ffff:10.0.0.0/104) names IPv4
		// addresses, which are compared unmapped.
		if a := p.Addr(); a.Is4In6() && p.Bits() >= 96 {
			p = netip.PrefixFrom(a.Unmap(), p.Bits()-96)
		}
		tp = append(tp, p.Masked())
	}
	return tp, nil
}

func (tp TrustedProxies) contains(a netip.Addr) bool {
	for _, p := range tp {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// String lists the proxies as the setting is written.
func (tp TrustedProxies) String() string {
	s := make([]string, len(tp))
	for i, p := range tp {
		if p.IsSingleIP() {
			s[i] = p.Addr().String()
		} else {
			s[i] = p.String()
		}
	}
	return strings.Join(s, ",")
}

// clientAddr is the address of the client that sent r: the connection's
// peer, unless the peer is a trusted proxy. Then X-Forwarded-For is read
// from the right, where each proxy appends the address it was reached
// from, and the client is the first address there that is not a trusted
// proxy: what lies to its left came from the client and may be made up.
// A hop that is not an address stops the walk at the last trusted one,
// so that an unreadable header costs the proxy's allowance, no more.
// The Forwarded header (RFC 7239) is not read: a proxy that writes only
// X-Forwarded-For passes a client's own Forwarded through untouched.
func clientAddr(r *http.Request, trusted TrustedProxies) netip.Addr {
	peer, ok := parseHop(r.RemoteAddr)
	if !ok || !trusted.contains(peer) {
		return peer
	}
	client := peer
	values := r.Header.Values("X-Forwarded-For")
	for i := len(values) - 1; i >= 0; i-- {
		hops := strings.Split(values[i], ",")
		for j := len(hops) - 1; j >= 0; j-- {
			a, ok := parseHop(hops[j])
			if !ok {
				return client
			}
			client = a
			if !trusted.contains(a) {
				return client
			}
		}
	}
	return client
}

// parseHop reads an address as RemoteAddr and X-Forwarded-For write it:
// with or without a port, IPv6 in brackets when it has one.
func parseHop(s string) (netip.Addr, bool) {
	s = strings.TrimSpace(s)
	a, err := netip.ParseAddr(s)
	if err != nil {
		ap, perr := netip.ParseAddrPort(s)
		if perr != nil {
			return netip.Addr{}, false
		}
		a = ap.Addr()
	}
	return a.Unmap().WithZone(""), true
}
