# siring-menara-pandang-hs-01: intended state rendered by netops (hotspot-gateway)
/system identity
set name=siring-menara-pandang-hs-01
/system clock
set time-zone-name=Asia/Makassar
/interface ethernet
set [ find default-name=ether1 ] comment="cc-dc-01:Ethernet14, fiber 1G"
set [ find default-name=ether2 ] comment="bridge hotspot"
set [ find default-name=ether3 ] comment="siring-menara-pandang-ap-01:ether1, fiber 1G"
set [ find default-name=ether4 ] comment="siring-menara-pandang-ap-02:ether1, fiber 1G"
/interface bridge
add name=loopback comment="management address [netops]"
add name=br-siring-menara-pandang vlan-filtering=yes comment="hotspot Siring Menara Pandang [netops]"
/interface vlan
add name=vlan30-hotspot interface=br-siring-menara-pandang vlan-id=30 comment="WiFi Gratis Banjarmasin [netops]"
add name=vlan10-mgmt interface=br-siring-menara-pandang vlan-id=10 comment="access point management [netops]"
/interface bridge port
add bridge=br-siring-menara-pandang interface=ether2 pvid=30 comment="hotspot clients [netops]"
add bridge=br-siring-menara-pandang interface=ether3 comment="siring-menara-pandang-ap-01:ether1 [netops]"
add bridge=br-siring-menara-pandang interface=ether4 comment="siring-menara-pandang-ap-02:ether1 [netops]"
/interface bridge vlan
add bridge=br-siring-menara-pandang vlan-ids=30 tagged="br-siring-menara-pandang,ether3,ether4" untagged=ether2 comment="[netops]"
add bridge=br-siring-menara-pandang vlan-ids=10 tagged="br-siring-menara-pandang,ether3,ether4" comment="[netops]"
/ip address
add address=10.10.0.46/32 interface=loopback comment="management [netops]"
add address=10.20.0.90/30 interface=ether1 comment="cc-dc-01:Ethernet14, fiber 1G [netops]"
add address=10.10.0.46/32 interface=vlan10-mgmt comment="management towards the access points [netops]"
add address=10.100.0.1/22 interface=vlan30-hotspot comment="hotspot siring-menara-pandang [netops]"
/ip route
add dst-address=0.0.0.0/0 gateway=10.20.0.89 comment="default via cc-dc-01:Ethernet14 [netops]"
add dst-address=10.10.0.47/32 gateway=vlan10-mgmt comment="management of siring-menara-pandang-ap-01 [netops]"
add dst-address=10.10.0.48/32 gateway=vlan10-mgmt comment="management of siring-menara-pandang-ap-02 [netops]"
/ip pool
add name=pool-siring-menara-pandang ranges=10.100.0.10-10.100.3.254 comment="[netops]"
/ip dhcp-server
add name=dhcp-siring-menara-pandang interface=vlan30-hotspot address-pool=pool-siring-menara-pandang lease-time=120m comment="[netops]"
/ip dhcp-server option
add name=netops-captive-portal code=114 value="'https://wifi.banjarmasinkota.go.id/api/captive'"
/ip dhcp-server network
add address=10.100.0.0/22 gateway=10.100.0.1 dns-server="10.40.0.2,10.40.0.3" dhcp-option=netops-captive-portal comment="WiFi Gratis Banjarmasin [netops]"
/file
add name=hotspot-netops/login.html contents="<!doctype html><html lang=\"id\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\"><title>WiFi Gratis Banjarmasin</title></head><body><form name=\"netops\" action=\"https://wifi.banjarmasinkota.go.id/\" method=\"get\"><input type=\"hidden\" name=\"hotspot\" value=\"siring-menara-pandang\"><input type=\"hidden\" name=\"identity\" value=\"\$(identity)\"><input type=\"hidden\" name=\"server-name\" value=\"\$(server-name)\"><input type=\"hidden\" name=\"link-login-only\" value=\"\$(link-login-only)\"><input type=\"hidden\" name=\"link-logout\" value=\"\$(link-logout)\"><input type=\"hidden\" name=\"link-status\" value=\"\$(link-status)\"><input type=\"hidden\" name=\"link-orig\" value=\"\$(link-orig)\"><input type=\"hidden\" name=\"dst\" value=\"\$(link-orig)\"><input type=\"hidden\" name=\"mac\" value=\"\$(mac)\"><input type=\"hidden\" name=\"ip\" value=\"\$(ip)\"><input type=\"hidden\" name=\"chap-id\" value=\"\$(chap-id)\"><input type=\"hidden\" name=\"chap-challenge\" value=\"\$(chap-challenge)\"><input type=\"hidden\" name=\"error\" value=\"\$(error)\"><noscript><button>WiFi Gratis Banjarmasin: masuk</button></noscript></form><script>var f=document.forms.netops;f.action+=location.hash;f.submit()</script></body></html>"
/ip hotspot profile
add name=hsprof-siring-menara-pandang hotspot-address=10.100.0.1 dns-name=login.wifi.banjarmasinkota.go.id html-directory=hotspot-netops login-by="http-chap,http-pap" use-radius=yes radius-accounting=yes radius-interim-update=5m nas-port-type=wireless-802.11 http-cookie-lifetime=1d
/ip hotspot
add name=hs-siring-menara-pandang interface=vlan30-hotspot address-pool=pool-siring-menara-pandang profile=hsprof-siring-menara-pandang addresses-per-mac=1 disabled=no
/ip hotspot walled-garden
add dst-host=wifi.banjarmasinkota.go.id action=allow comment="captive portal [netops]"
/ip hotspot walled-garden ip
add action=accept protocol=tcp dst-port=443 dst-host=wifi.banjarmasinkota.go.id comment="captive portal [netops]"
/radius
add address=10.40.0.10 service=hotspot secret="<secret:env:NETOPS_RADIUS_SECRET>" authentication-port=1812 accounting-port=1813 src-address=10.10.0.46 timeout=3s require-message-auth=yes-for-request-resp comment="RADIUS 1 [netops]"
add address=10.40.0.11 service=hotspot secret="<secret:env:NETOPS_RADIUS_SECRET>" authentication-port=1812 accounting-port=1813 src-address=10.10.0.46 timeout=3s require-message-auth=yes-for-request-resp comment="RADIUS 2 [netops]"
/radius incoming
set accept=yes port=3799
/ip dns
set allow-remote-requests=yes servers="10.40.0.2,10.40.0.3"
/ip firewall address-list
add list=netops-mgmt address=10.10.0.0/16 comment="[netops]"
add list=netops-mgmt address=10.40.0.0/20 comment="[netops]"
add list=netops-radius address=10.40.0.10 comment="[netops]"
add list=netops-radius address=10.40.0.11 comment="[netops]"
add list=netops-dns address=10.40.0.2 comment="[netops]"
add list=netops-dns address=10.40.0.3 comment="[netops]"
/ip firewall filter
add chain=input action=accept connection-state="established,related,untracked" comment="established [netops]"
add chain=input action=drop connection-state=invalid comment="invalid [netops]"
add chain=input action=accept protocol=icmp comment="ICMP [netops]"
add chain=input action=accept protocol=tcp dst-port="22,8291,8729" src-address-list=netops-mgmt comment="SSH, Winbox and API from management [netops]"
add chain=input action=accept protocol=udp dst-port=161 src-address-list=netops-mgmt comment="SNMP from management [netops]"
add chain=input action=accept protocol=udp dst-port=3799 src-address-list=netops-radius comment="RADIUS CoA and Disconnect [netops]"
add chain=input action=accept in-interface=vlan30-hotspot protocol=udp dst-port="53,67" comment="DNS and DHCP for hotspot clients [netops]"
add chain=input action=accept in-interface=vlan30-hotspot protocol=tcp dst-port="53,64872-64875" comment="hotspot login [netops]"
add chain=input action=drop comment="drop the rest [netops]"
add chain=forward action=reject protocol=tcp dst-port=853 src-address=10.100.0.0/22 dst-address-list="!netops-dns" reject-with=tcp-reset comment="no DNS over TLS from siring-menara-pandang [netops]"
add chain=forward action=reject protocol=udp dst-port=853 src-address=10.100.0.0/22 dst-address-list="!netops-dns" reject-with=icmp-port-unreachable comment="no DNS over QUIC from siring-menara-pandang [netops]"
/ip firewall nat
add chain=dstnat action=redirect protocol=udp dst-port=53 src-address=10.100.0.0/22 dst-address-list="!netops-dns" to-ports=53 comment="DNS of siring-menara-pandang to the city's resolvers [netops]"
add chain=dstnat action=redirect protocol=tcp dst-port=53 src-address=10.100.0.0/22 dst-address-list="!netops-dns" to-ports=53 comment="DNS of siring-menara-pandang to the city's resolvers [netops]"
add chain=srcnat action=masquerade src-address=10.100.0.0/22 out-interface=ether1 log=yes log-prefix=netops-nat comment="NAT hotspot siring-menara-pandang [netops]"
/snmp
set enabled=yes contact="Pemerintah Kota Banjarmasin (contoh)" location="Siring Menara Pandang" trap-version=3
/snmp community
add name=netops security=private addresses="10.10.0.0/16,10.40.0.0/20" read-access=yes write-access=no authentication-protocol=SHA1 authentication-password="<secret:env:NETOPS_SNMP_AUTH>" encryption-protocol=AES encryption-password="<secret:env:NETOPS_SNMP_PRIV>" comment="SNMP polling [netops]"
set [ find default=yes ] disabled=yes
/system ntp client
set enabled=yes
/system ntp client servers
add address=10.40.0.2 comment="[netops]"
add address=10.40.0.3 comment="[netops]"
/system logging action
add name=netops target=remote remote=10.40.0.20 remote-port=514 comment="[netops]"
add name=netops-nat target=remote remote=10.40.0.10 remote-port=514 comment="[netops]"
/system logging
add action=netops topics="info,!firewall" comment="[netops]"
add action=netops topics=warning comment="[netops]"
add action=netops topics=error comment="[netops]"
add action=netops topics="hotspot,info,debug" comment="[netops]"
add action=netops-nat topics=firewall comment="[netops]"
/user
add name=netops group=full password="<secret:env:NETOPS_DEVICE_PASSWORD>" address="10.10.0.0/16,10.40.0.0/20" comment="automation [netops]"
/ip service
set [ find name=telnet ] disabled=yes
set [ find name=ftp ] disabled=yes
set [ find name=www ] disabled=yes
set [ find name=api ] disabled=yes
set [ find name=ssh ] address="10.10.0.0/16,10.40.0.0/20" disabled=no
set [ find name=winbox ] address="10.10.0.0/16,10.40.0.0/20" disabled=no
set [ find name=api-ssl ] address="10.10.0.0/16,10.40.0.0/20" disabled=no
