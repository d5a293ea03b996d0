// The standard PAC helper functions, loaded into the Duktape heap before the
// PAC script (net/pac_engine.cpp embeds this file at build time). Semantics
// follow Netscape's PAC definition as browsers implement it, and Microsoft's
// IPv6 extensions ("Ex" functions). Differences from Mozilla's reference
// implementation, on purpose:
//   - convert_addr returns an unsigned 32-bit number, so that comparisons
//     across 128.0.0.0 work;
//   - localHostOrDomainIs matches an unqualified host only when it has no dot
//     (as Netscape's definition says);
//   - weekdayRange, dateRange and timeRange wrap around (FRI..MON, DEC..JAN,
//     22..6) where the range is cyclic, but a dateRange naming a year never
//     wraps (browsers make APR 2024..MAR 2024 hold at every date);
//   - a dateRange with GMT reads every field from the UTC date (browsers
//     take the default year and month from local time);
//   - every date and time comes from the injected clock (__vigil_now).
//
// Natives provided by pac_engine.cpp:
//   __vigil_resolve(host)        -> array of addresses (IPv6 and IPv4), [] when unresolvable
//   __vigil_my_addresses()       -> array of this machine's addresses
//   __vigil_now(gmt)             -> [year, month 0-11, day 1-31, weekday 0-6, hours, minutes, seconds]
//   __vigil_in_net_ex(ip, cidr)  -> boolean
//   __vigil_sort_ips(list)       -> "a;b;c" sorted, or false when an entry is not an address
//   __vigil_shexp_match(s, p)    -> boolean, shExpMatch's matcher
//   alert(message)               -> logged to stderr

var __vigil_weekdays = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];
var __vigil_months = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN',
                      'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];

function __vigil_is_ipv4(text) {
  var m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(String(text));
  if (!m)
    return false;
  for (var i = 1; i <= 4; i++)
    if (Number(m[i]) > 255)
      return false;
  return true;
}

function __vigil_first_ipv4(addresses) {
  for (var i = 0; i < addresses.length; i++)
    if (addresses[i].indexOf(':') < 0)
      return addresses[i];
  return null;
}

// Splits a trailing "GMT" off the arguments of the time functions and reads
// the clock in that zone.
function __vigil_time_args(args) {
  var list = Array.prototype.slice.call(args);
  var gmt = list.length > 0 && String(list[list.length - 1]).toUpperCase() === 'GMT';
  if (gmt)
    list.pop();
  return { list: list, now: __vigil_now(gmt) };
}

function isPlainHostName(host) {
  return String(host).indexOf('.') < 0;
}

function dnsDomainIs(host, domain) {
  host = String(host);
  domain = String(domain);
  return host.length >= domain.length &&
         host.substring(host.length - domain.length) === domain;
}

function localHostOrDomainIs(host, hostdom) {
  host = String(host);
  hostdom = String(hostdom);
  if (host === hostdom)
    return true;
  return host.indexOf('.') < 0 && hostdom.lastIndexOf(host + '.', 0) === 0;
}

function dnsDomainLevels(host) {
  return String(host).split('.').length - 1;
}

function convert_addr(ipchars) {
  var bytes = String(ipchars).split('.');
  return (((bytes[0] & 0xff) << 24) | ((bytes[1] & 0xff) << 16) |
          ((bytes[2] & 0xff) << 8) | (bytes[3] & 0xff)) >>> 0;
}

function dnsResolve(host) {
  return __vigil_first_ipv4(__vigil_resolve(String(host)));
}

function isResolvable(host) {
  return dnsResolve(host) !== null;
}

function myIpAddress() {
  var mine = __vigil_first_ipv4(__vigil_my_addresses());
  return mine === null ? '127.0.0.1' : mine;
}

function isInNet(ipaddr, pattern, maskstr) {
  if (!__vigil_is_ipv4(pattern) || !__vigil_is_ipv4(maskstr))
    return false;
  ipaddr = String(ipaddr);
  if (!__vigil_is_ipv4(ipaddr)) {
    ipaddr = dnsResolve(ipaddr);
    if (ipaddr === null)
      return false;
  }
  var mask = convert_addr(maskstr);
  return ((convert_addr(ipaddr) & mask) >>> 0) === ((convert_addr(pattern) & mask) >>> 0);
}

// Shell expressions: '*' any run, '?' any one character, everything else
// literal; the whole string must match (native: Duktape's backtracking
// regular expressions were too slow for PACs with many patterns).
function shExpMatch(str, shexp) {
  return __vigil_shexp_match(String(str), String(shexp));
}

function weekdayRange() {
  var a = __vigil_time_args(arguments);
  if (a.list.length < 1 || a.list.length > 2)
    return false;
  var first = __vigil_weekdays.indexOf(String(a.list[0]).toUpperCase());
  var last = a.list.length === 2 ? __vigil_weekdays.indexOf(String(a.list[1]).toUpperCase())
                                  : first;
  if (first < 0 || last < 0)
    return false;
  var today = a.now[3];
  if (first <= last)
    return first <= today && today <= last;
  return today >= first || today <= last;
}

// One dateRange argument: a day (1-31), a month name or a four-digit year.
function __vigil_date_field(value) {
  if (typeof value === 'string') {
    var month = __vigil_months.indexOf(value.toUpperCase());
    if (month >= 0)
      return { kind: 'M', value: month };
  }
  var n = Number(value);
  if (String(value) === '' || !isFinite(n) || n !== Math.floor(n))
    return null;
  if (n >= 1 && n <= 31)
    return { kind: 'D', value: n };
  if (n >= 1000)
    return { kind: 'Y', value: n };
  return null;
}

// One end of a dateRange: the fields given (each kind at most once) over
// the defaults; null when a kind repeats.
function __vigil_date_bound(fields, defaults) {
  var bound = { D: defaults.D, M: defaults.M, Y: defaults.Y };
  var kinds = '';
  for (var i = 0; i < fields.length; i++) {
    if (kinds.indexOf(fields[i].kind) >= 0)
      return null;
    kinds += fields[i].kind;
    bound[fields[i].kind] = fields[i].value;
  }
  return bound;
}

// Browsers' reading (Mozilla's and Chromium's pac_utils): the first half of
// the arguments (the smaller one when their number is odd) sets the start,
// which otherwise is 1 JAN of this year; the second half sets the end,
// otherwise 31 DEC of this year. With two arguments of which the first is a
// day, both ends lie in this month. So dateRange(15, 'MAR') holds from the
// 15th to the end of this month, and dateRange(15, 'MAR', 2024) from 15 JAN
// of this year to 31 MAR 2024. Day 31 means the month's last day, where
// browsers' Date arithmetic would run into the next month.
function dateRange() {
  var a = __vigil_time_args(arguments);
  var fields = [];
  for (var i = 0; i < a.list.length; i++) {
    var f = __vigil_date_field(a.list[i]);
    if (f === null)
      return false;
    fields.push(f);
  }
  var now = { D: a.now[2], M: a.now[1], Y: a.now[0] };
  if (fields.length === 1)
    return now[fields[0].kind] === fields[0].value;
  if (fields.length < 2 || fields.length > 6)
    return false;
  var half = fields.length >> 1;
  var start = __vigil_date_bound(fields.slice(0, half), { D: 1, M: 0, Y: now.Y });
  var end = __vigil_date_bound(fields.slice(half), { D: 31, M: 11, Y: now.Y });
  if (start === null || end === null)
    return false;
  if (fields.length === 2 && fields[0].kind === 'D') {
    start.M = now.M;
    end.M = now.M;
  }
  var key = function (d) { return (d.Y * 12 + d.M) * 32 + d.D; };
  var first = key(start), last = key(end), today = key(now);
  if (first <= last)
    return first <= today && today <= last;
  // Only ranges without a year repeat every year (or month).
  for (var j = 0; j < fields.length; j++)
    if (fields[j].kind === 'Y')
      return false;
  return today >= first || today <= last;
}

function timeRange() {
  var a = __vigil_time_args(arguments);
  var v = [];
  for (var i = 0; i < a.list.length; i++) {
    var n = Number(a.list[i]);
    if (String(a.list[i]) === '' || !isFinite(n) || n !== Math.floor(n))
      return false;
    v.push(n);
  }
  var hour = a.now[4];
  var now = hour * 3600 + a.now[5] * 60 + a.now[6];
  var first, last;
  switch (v.length) {
    case 1: return hour === v[0];
    case 2: first = v[0] * 3600; last = v[1] * 3600 + 3599; break;
    case 4: first = v[0] * 3600 + v[1] * 60; last = v[2] * 3600 + v[3] * 60 + 59; break;
    case 6: first = v[0] * 3600 + v[1] * 60 + v[2]; last = v[3] * 3600 + v[4] * 60 + v[5]; break;
    default: return false;
  }
  if (first <= last)
    return first <= now && now <= last;
  return now >= first || now <= last;
}

// Microsoft's IPv6-aware extensions.

function dnsResolveEx(host) {
  return __vigil_resolve(String(host)).join(';');
}

function isResolvableEx(host) {
  return dnsResolveEx(host) !== '';
}

function myIpAddressEx() {
  return __vigil_my_addresses().join(';');
}

function isInNetEx(ipaddr, ipprefix) {
  return __vigil_in_net_ex(String(ipaddr), String(ipprefix));
}

function sortIpAddressList(list) {
  return __vigil_sort_ips(String(list));
}

function getClientVersion() {
  return '1.0';
}
