# lab-ap-01: intended state rendered by netops (access-point)
/system identity
set name=lab-ap-01
/system clock
set time-zone-name=Asia/Makassar
/interface ethernet
set [ find default-name=ether1 ] comment="lab-hs-01:ether2, fiber 100M"
/interface bridge
add name=br-ap vlan-filtering=yes comment="access point [netops]"
/interface wifi datapath
add name=dp-lab-park bridge=br-ap vlan-id=30 client-isolation=yes comment="[netops]"
/interface wifi security
add name=sec-lab-park authentication-types="" comment="open network: login on the portal [netops]"
/interface wifi configuration
add name=cfg-lab-park ssid="WiFi Gratis Lab" country=Indonesia mode=ap datapath=dp-lab-park security=sec-lab-park chains="0,1" tx-chains="0,1" comment="[netops]"
/interface wifi
set [ find default-name=wifi1 ] configuration=cfg-lab-park disabled=no comment="WiFi Gratis Lab 2.4 GHz"
set [ find default-name=wifi2 ] configuration=cfg-lab-park disabled=no comment="WiFi Gratis Lab 5 GHz"
/interface vlan
add name=vlan10-mgmt interface=br-ap vlan-id=10 comment="management [netops]"
/interface bridge port
add bridge=br-ap interface=ether1 comment="lab-hs-01:ether2 [netops]"
/interface bridge vlan
add bridge=br-ap vlan-ids=30 tagged="br-ap,ether1" comment="[netops]"
add bridge=br-ap vlan-ids=10 tagged="br-ap,ether1" comment="[netops]"
/ip address
add address=127.0.1.5/32 network=127.0.0.1 interface=vlan10-mgmt comment="management, point-to-point to lab-hs-01 [netops]"
/ip route
add dst-address=0.0.0.0/0 gateway=127.0.0.1 comment="default via lab-hs-01 [netops]"
/ip dns
set allow-remote-requests=no servers=127.0.0.1
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
add chain=input action=drop comment="drop the rest [netops]"
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
