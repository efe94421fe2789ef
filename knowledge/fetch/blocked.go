package fetch

import "net/netip"

// blockedPrefixes are the special-purpose ranges of the IANA IPv4 and IPv6
// registries that are not globally reachable, plus ranges that translate
// to IPv4 (NAT64, 6to4, Teredo) and so could carry an internal IPv4
// address inside an IPv6 one.
var blockedPrefixes = func() []netip.Prefix {
	var out []netip.Prefix
	for _, s := range []string{
		"0.0.0.0/8",          // "this network"
		"10.0.0.0/8",         // private
		"100.64.0.0/10",      // carrier-grade NAT
		"127.0.0.0/8",        // loopback
		"169.254.0.0/16",     // link-local, including cloud metadata at 169.254.169.254
		"172.16.0.0/12",      // private
		"192.0.0.0/24",       // IETF protocol assignments
		"192.0.2.0/24",       // documentation
		"192.88.99.0/24",     // 6to4 relay anycast
		"192.168.0.0/16",     // private
		"198.18.0.0/15",      // benchmarking
		"198.51.100.0/24",    // documentation
		"203.0.113.0/24",     // documentation
		"224.0.0.0/4",        // multicast
		"240.0.0.0/4",        // reserved, and 255.255.255.255 broadcast
		"::/128",             // unspecified
		"::1/128",            // loopback
		"::ffff:0:0/96",      // IPv4-mapped (checked unmapped as well)
		"::/96",              // IPv4-compatible (deprecated, RFC 4291), e.g. ::127.0.0.1
		"::ffff:0:0:0/96",    // IPv4-translated (RFC 2765)
		"64:ff9b::/96",       // NAT64
		"64:ff9b:1::/48",     // local NAT64
		"100::/64",           // discard
		"2001::/32",          // Teredo
		"2001:2::/48",        // benchmarking
		"2001:db8::/32",      // documentation
		"2002::/16",          // 6to4
		"fc00::/7",           // unique local
		"fe80::/10",          // link-local
		"fec0::/10",          // site-local (deprecated)
		"ff00::/8",           // multicast
		"fd00:ec2::254/128",  // AWS metadata over IPv6 (inside fc00::/7; listed to be explicit)
		"2001:10::/28",       // ORCHID
		"2001:20::/28",       // ORCHIDv2
		"5f00::/16",          // SRv6 SIDs
		"3fff::/20",          // documentation
		"0.0.0.0/32",         // unspecified
		"255.255.255.255/32", // broadcast
	} {
		out = append(out, netip.MustParsePrefix(s))
	}
	return out
}()

// Blocked reports whether a is an address Lore must not fetch from unless
// an allow-list names it: loopback, private, link-local, carrier-grade NAT,
// multicast, documentation, benchmarking, reserved or unspecified, in
// IPv4 or IPv6, including an IPv4 address mapped into IPv6. An invalid
// address is blocked.
func Blocked(a netip.Addr) bool {
	if !a.IsValid() {
		return true
	}
	a = a.WithZone("")
	if a.Is4In6() {
		return Blocked(a.Unmap())
	}
	if a.IsLoopback() || a.IsPrivate() || a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() ||
		a.IsInterfaceLocalMulticast() || a.IsMulticast() || a.IsUnspecified() {
		return true
	}
	for _, p := range blockedPrefixes {
		if p.Contains(a) {
			return true
		}
	}
	return false
}
