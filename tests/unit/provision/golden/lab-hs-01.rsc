# lab-hs-01: intended state rendered by netops (hotspot-gateway)
/system identity
set name=lab-hs-01
/system clock
set time-zone-name=Asia/Makassar
/interface ethernet
set [ find default-name=ether1 ] comment="lab-dist-01:Ethernet2, fiber 100M"
set [ find default-name=ether2 ] comment="lab-ap-01:ether1, fiber 100M"
/interface bridge
add name=loopback comment="management address [netops]"
add name=br-lab-park vlan-filtering=yes comment="hotspot Lab Park [netops]"
/interface vlan
add name=vlan30-hotspot interface=br-lab-park vlan-id=30 comment="WiFi Gratis Lab [netops]"
add name=vlan10-mgmt interface=br-lab-park vlan-id=10 comment="access point management [netops]"
/interface bridge port
add bridge=br-lab-park interface=ether2 comment="lab-ap-01:ether1 [netops]"
/interface bridge vlan
add bridge=br-lab-park vlan-ids=30 tagged="br-lab-park,ether2" comment="[netops]"
add bridge=br-lab-park vlan-ids=10 tagged="br-lab-park,ether2" comment="[netops]"
/ip address
add address=127.0.0.1/32 interface=loopback comment="management [netops]"
add address=127.0.0.1/32 interface=vlan10-mgmt comment="management towards the access points [netops]"
add address=10.254.200.1/24 interface=vlan30-hotspot comment="hotspot lab-park [netops]"
/ip route
add dst-address=127.0.1.5/32 gateway=vlan10-mgmt comment="management of lab-ap-01 [netops]"
/ip pool
add name=pool-lab-park ranges=10.254.200.10-10.254.200.254 comment="[netops]"
/ip dhcp-server
add name=dhcp-lab-park interface=vlan30-hotspot address-pool=pool-lab-park lease-time=120m comment="[netops]"
/ip dhcp-server network
add address=10.254.200.0/24 gateway=10.254.200.1 dns-server=10.254.200.1 comment="WiFi Gratis Lab [netops]"
/file
add name=hotspot-netops/login.html contents="<!doctype html><html lang=\"id\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\"><title>WiFi Gratis Lab</title></head><body><form name=\"netops\" action=\"http://127.0.0.1:8080/\" method=\"get\"><input type=\"hidden\" name=\"hotspot\" value=\"lab-park\"><input type=\"hidden\" name=\"identity\" value=\"\$(identity)\"><input type=\"hidden\" name=\"server-name\" value=\"\$(server-name)\"><input type=\"hidden\" name=\"link-login-only\" value=\"\$(link-login-only)\"><input type=\"hidden\" name=\"link-logout\" value=\"\$(link-logout)\"><input type=\"hidden\" name=\"link-status\" value=\"\$(link-status)\"><input type=\"hidden\" name=\"link-orig\" value=\"\$(link-orig)\"><input type=\"hidden\" name=\"dst\" value=\"\$(link-orig)\"><input type=\"hidden\" name=\"mac\" value=\"\$(mac)\"><input type=\"hidden\" name=\"ip\" value=\"\$(ip)\"><input type=\"hidden\" name=\"chap-id\" value=\"\$(chap-id)\"><input type=\"hidden\" name=\"chap-challenge\" value=\"\$(chap-challenge)\"><input type=\"hidden\" name=\"error\" value=\"\$(error)\"><noscript><button>WiFi Gratis Lab: masuk</button></noscript></form><script>var f=document.forms.netops;f.action+=location.hash;f.submit()</script></body></html>"
/ip hotspot profile
add name=hsprof-lab-park hotspot-address=10.254.200.1 dns-name=login.lab.netops.test html-directory=hotspot-netops login-by="http-chap,http-pap" use-radius=yes radius-accounting=yes radius-interim-update=5m nas-port-type=wireless-802.11 http-cookie-lifetime=1d
/ip hotspot
add name=hs-lab-park interface=vlan30-hotspot address-pool=pool-lab-park profile=hsprof-lab-park addresses-per-mac=1 disabled=no
/ip hotspot walled-garden
add dst-host=127.0.0.1 action=allow comment="captive portal [netops]"
/ip hotspot walled-garden ip
add action=accept protocol=tcp dst-port=8080 dst-address=127.0.0.1 comment="captive portal [netops]"
/radius
add address=127.0.0.1 service=hotspot secret="<secret:inline>" authentication-port=1812 accounting-port=1813 src-address=127.0.0.1 timeout=3s require-message-auth=yes-for-request-resp comment="RADIUS 1 [netops]"
/radius incoming
set accept=yes port=3799
/ip dns
set allow-remote-requests=yes servers=127.0.0.1
/ip firewall address-list
add list=netops-mgmt address=127.0.0.0/8 comment="[netops]"
add list=netops-mgmt address=10.254.0.0/24 comment="[netops]"
add list=netops-radius address=127.0.0.1 comment="[netops]"
/ip firewall filter
add chain=input action=accept connection-state="established,related,untracked" comment="established [netops]"
add chain=input action=drop connection-state=invalid comment="invalid [netops]"
add chain=input action=accept protocol=icmp comment="ICMP [netops]"
add chain=input action=accept protocol=tcp dst-port="22,8291,8728" src-address-list=netops-mgmt comment="SSH, Winbox and API from management [netops]"
add chain=input action=accept protocol=udp dst-port=161 src-address-list=netops-mgmt comment="SNMP from management [netops]"
add chain=input action=accept protocol=udp dst-port=3799 src-address-list=netops-radius comment="RADIUS CoA and Disconnect [netops]"
add chain=input action=accept in-interface=vlan30-hotspot protocol=udp dst-port="53,67" comment="DNS and DHCP for hotspot clients [netops]"
add chain=input action=accept in-interface=vlan30-hotspot protocol=tcp dst-port="53,64872-64875" comment="hotspot login [netops]"
add chain=input action=drop comment="drop the rest [netops]"
/ip firewall nat
add chain=srcnat action=masquerade src-address=10.254.200.0/24 out-interface=ether1 comment="NAT hotspot lab-park [netops]"
/snmp
set enabled=yes contact="netops loopback lab" location="Lab Park Hotspot" trap-version=2
/snmp community
add name="<secret:inline>" addresses="127.0.0.0/8,10.254.0.0/24" read-access=yes write-access=no disabled=no comment="SNMP polling [netops]"
/system ntp client
set enabled=yes
/system ntp client servers
add address=127.0.0.1 comment="[netops]"
/system logging action
add name=netops target=remote remote=127.0.0.1 remote-port=514 comment="[netops]"
/system logging
add action=netops topics=info comment="[netops]"
add action=netops topics=warning comment="[netops]"
add action=netops topics=error comment="[netops]"
add action=netops topics="hotspot,info,debug" comment="[netops]"
/user
add name=netops group=full password="<secret:inline>" address="127.0.0.0/8,10.254.0.0/24" comment="automation [netops]"
/ip service
set [ find name=telnet ] disabled=yes
set [ find name=ftp ] disabled=yes
set [ find name=www ] disabled=yes
set [ find name=api-ssl ] disabled=yes
set [ find name=ssh ] address="127.0.0.0/8,10.254.0.0/24" disabled=no
set [ find name=winbox ] address="127.0.0.0/8,10.254.0.0/24" disabled=no
set [ find name=api ] address="127.0.0.0/8,10.254.0.0/24" disabled=no
