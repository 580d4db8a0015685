# RouterOS 7: two netops RADIUS servers for a hotspot gateway, primary first.
# `netops config render` writes exactly this from the inventory (services.radius.servers);
# this file shows the shape for a gateway configured by hand.
#
# RouterOS asks the servers in the order they were added: an Access-Request that gets no
# answer within `timeout` is sent to the next server. Both servers share one PostgreSQL
# store, so either can authenticate any citizen and close any session.
/radius
add address=10.40.0.10 service=hotspot secret="CHANGE-ME" authentication-port=1812 \
    accounting-port=1813 src-address=10.20.5.1 timeout=1s \
    require-message-auth=yes-for-request-resp comment="netops RADIUS 1 (primary)"
add address=10.40.0.11 service=hotspot secret="CHANGE-ME" authentication-port=1812 \
    accounting-port=1813 src-address=10.20.5.1 timeout=1s \
    require-message-auth=yes-for-request-resp comment="netops RADIUS 2 (secondary)"

# Accept Disconnect/CoA from both servers (the operator console can run on either).
/radius incoming
set accept=yes port=3799

# Accounting with interims, so sessions and quotas stay current on both servers.
/ip hotspot profile
set [find name=hsprof-netops] use-radius=yes radius-accounting=yes radius-interim-update=5m \
    login-by=http-chap,http-pap

# Check: /radius monitor 0   and   /radius monitor 1   (requests, accepts, timeouts)
