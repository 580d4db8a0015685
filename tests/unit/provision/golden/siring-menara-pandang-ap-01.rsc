# siring-menara-pandang-ap-01: intended state rendered by netops (access-point)
/system identity
set name=siring-menara-pandang-ap-01
/system clock
set time-zone-name=Asia/Makassar
/interface ethernet
set [ find default-name=ether1 ] comment="siring-menara-pandang-hs-01:ether3, fiber 1G"
/interface bridge
add name=br-ap vlan-filtering=yes comment="access point [netops]"
/interface wifi datapath
add name=dp-siring-menara-pandang bridge=br-ap vlan-id=30 client-isolation=yes comment="[netops]"
/interface wifi security
add name=sec-siring-menara-pandang authentication-types="" comment="open network: login on the portal [netops]"
/interface wifi configuration
add name=cfg-siring-menara-pandang ssid="WiFi Gratis Banjarmasin" country=Indonesia mode=ap datapath=dp-siring-menara-pandang security=sec-siring-menara-pandang chains="0,1" tx-chains="0,1" comment="[netops]"
/interface wifi
set [ find default-name=wifi1 ] configuration=cfg-siring-menara-pandang disabled=no comment="WiFi Gratis Banjarmasin 2.4 GHz"
set [ find default-name=wifi2 ] configuration=cfg-siring-menara-pandang disabled=no comment="WiFi Gratis Banjarmasin 5 GHz"
/interface vlan
add name=vlan10-mgmt interface=br-ap vlan-id=10 comment="management [netops]"
/interface bridge port
add bridge=br-ap interface=ether1 comment="siring-menara-pandang-hs-01:ether3 [netops]"
/interface bridge vlan
add bridge=br-ap vlan-ids=30 tagged="br-ap,ether1" comment="[netops]"
add bridge=br-ap vlan-ids=10 tagged="br-ap,ether1" comment="[netops]"
/ip address
add address=10.10.0.47/32 network=10.10.0.46 interface=vlan10-mgmt comment="management, point-to-point to siring-menara-pandang-hs-01 [netops]"
/ip route
add dst-address=0.0.0.0/0 gateway=10.10.0.46 comment="default via siring-menara-pandang-hs-01 [netops]"
/ip dns
set allow-remote-requests=no servers="10.40.0.2,10.40.0.3"
/ip firewall address-list
add list=netops-mgmt address=10.10.0.0/16 comment="[netops]"
add list=netops-mgmt address=10.40.0.0/20 comment="[netops]"
add list=netops-radius address=10.40.0.10 comment="[netops]"
add list=netops-radius address=10.40.0.11 comment="[netops]"
/ip firewall filter
add chain=input action=accept connection-state="established,related,untracked" comment="established [netops]"
add chain=input action=drop connection-state=invalid comment="invalid [netops]"
add chain=input action=accept protocol=icmp comment="ICMP [netops]"
add chain=input action=accept protocol=tcp dst-port="22,8291,8729" src-address-list=netops-mgmt comment="SSH, Winbox and API from management [netops]"
add chain=input action=accept protocol=udp dst-port=161 src-address-list=netops-mgmt comment="SNMP from management [netops]"
add chain=input action=drop comment="drop the rest [netops]"
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
/system logging
add action=netops topics=info comment="[netops]"
add action=netops topics=warning comment="[netops]"
add action=netops topics=error comment="[netops]"
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
