// RouterOS http-chap in the page: password = hex(MD5(chap-id + password + chap-challenge)),
// as MikroTik's own login.html does with hexMD5(). Bytes of id/challenge come hex-encoded.
(function(){
function md5(b){var K=[],S=[7,12,17,22,5,9,14,20,4,11,16,23,6,10,15,21],i,n=b.length,
w=((n+8)>>6)+1<<4,M=new Array(w).fill(0);for(i=0;i<64;i++)K[i]=Math.floor(Math.abs(Math.sin(i+1))*4294967296)|0;
for(i=0;i<n;i++)M[i>>2]|=b[i]<<(i%4*8);M[n>>2]|=128<<(n%4*8);M[w-2]=n*8;
var h=[1732584193,-271733879,-1732584194,271733878];
for(var o=0;o<w;o+=16){var a=h[0],c=h[1],d=h[2],e=h[3];for(i=0;i<64;i++){var f,g,r=i>>4;
if(r==0){f=(c&d)|(~c&e);g=i}else if(r==1){f=(e&c)|(~e&d);g=(5*i+1)%16}
else if(r==2){f=c^d^e;g=(3*i+5)%16}else{f=d^(c|~e);g=7*i%16}
var t=e;e=d;d=c;var x=a+f+K[i]+M[o+g]|0,s=S[r*4+i%4];c=c+(x<<s|x>>>32-s)|0;a=t}
h[0]=h[0]+a|0;h[1]=h[1]+c|0;h[2]=h[2]+d|0;h[3]=h[3]+e|0}
var out="";for(i=0;i<16;i++)out+=(h[i>>2]>>>(i%4*8)&255).toString(16).padStart(2,"0");return out}
function hex(s){var r=[];for(var i=0;i<s.length;i+=2)r.push(parseInt(s.substr(i,2),16));return r}
function utf8(s){return Array.from(new TextEncoder().encode(s))}
window.hexMD5=function(bytes){return md5(bytes)};
document.querySelectorAll("form[data-chap-id]").forEach(function(f){
f.addEventListener("submit",function(){var p=f.querySelector("[name=password]"),
u=f.querySelector("[name=username]"),v=f.querySelector("[data-voucher]");
if(v){var c=v.value.toUpperCase().replace(/[\s-]/g,"");u.value=c;p.value=c}
p.value=md5(hex(f.dataset.chapId).concat(utf8(p.value),hex(f.dataset.chapChallenge)));});});
})();
