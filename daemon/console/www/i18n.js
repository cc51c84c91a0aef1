// Labels of the console in Vietnamese (the default) and English. t(key) picks the current
// language; a missing key shows the key itself, never a blank.
"use strict";

const I18N = {
  vi: {
    "brand": "Trung tâm giám sát an toàn thông tin",
    "nav.alerts": "Cảnh báo", "nav.sites": "Điểm / đơn vị", "language": "Ngôn ngữ",
    "live.updated": "Cập nhật lúc {0}", "live.failed": "Không kết nối được bộ tương quan ({0})",
    "sev.critical": "Nghiêm trọng", "sev.high": "Cao", "sev.medium": "Trung bình", "sev.low": "Thấp",
    "sev.informational": "Thông tin",
    "state.open": "Mới", "state.acknowledged": "Đã tiếp nhận", "state.resolved": "Đã kết thúc",
    "state.unresolved": "Chưa kết thúc", "any": "Tất cả",
    "f.state": "Trạng thái", "f.severity": "Mức độ", "f.site": "Điểm", "f.rule": "Luật", "f.since": "Từ",
    "f.until": "Đến", "f.apply": "Lọc", "f.clear": "Bỏ lọc", "f.source": "Địa chỉ nguồn",
    "q.title": "Hàng đợi cảnh báo", "q.counts": "Chưa kết thúc theo mức độ", "q.open": "mới", "q.acked": "đã tiếp nhận",
    "q.time": "Thời gian (lần cuối)", "q.rule": "Luật", "q.site": "Điểm", "q.summary": "Tóm tắt", "q.count": "Số lần",
    "q.state": "Trạng thái", "q.none": "Không có cảnh báo nào khớp bộ lọc.", "q.newer": "‹ Mới hơn",
    "q.older": "Cũ hơn ›", "q.first": "« Mới nhất", "q.page": "Trang {0}", "q.new": "mới",
    "d.back": "‹ Hàng đợi", "d.rule": "Luật", "d.description": "Mô tả", "d.mitre": "MITRE ATT&CK",
    "d.site": "Điểm", "d.asset": "Tài sản", "d.source": "Địa chỉ nguồn", "d.summary": "Tóm tắt",
    "d.count": "Số lần", "d.first": "Lần đầu", "d.last": "Lần cuối", "d.resolved": "Kết thúc lúc",
    "d.group": "Nhóm", "d.fields": "Trường chính",
    "d.evidence": "Bằng chứng ({0} sự kiện)", "d.noevidence": "Kho cảnh báo không còn giữ sự kiện nào của cảnh báo này.",
    "e.time": "Thời gian", "e.sensor": "Cảm biến", "e.dataset": "Nguồn", "e.fields": "Trường liên quan",
    "e.raw": "Bản ghi gốc",
    "d.related": "Cảnh báo khác từ {0}", "d.norelated": "Không có cảnh báo khác từ địa chỉ này.",
    "d.nosource": "Cảnh báo này không có địa chỉ nguồn.",
    "d.history": "Lịch sử", "h.at": "Lúc", "h.action": "Hành động", "h.by": "Người", "h.comment": "Ghi chú",
    "h.count": "Số lần",
    "h.opened": "Mở", "h.repeated": "Lặp lại", "h.acknowledged": "Tiếp nhận", "h.resolved": "Kết thúc",
    "ack.title": "Tiếp nhận cảnh báo", "ack.by": "Người tiếp nhận", "ack.comment": "Ghi chú (đã làm gì)",
    "ack.token": "Mã truy cập API", "ack.submit": "Tiếp nhận", "ack.done": "Đã tiếp nhận.",
    "ack.resolved": "Cảnh báo đã kết thúc, không thể tiếp nhận.",
    "ack.last": "Tiếp nhận gần nhất: {0}, {1}",
    "s.title": "Các điểm / đơn vị", "s.name": "Điểm", "s.kind": "Loại", "s.level": "Cấp độ",
    "s.sensors": "Cảm biến", "s.gaps": "Thiếu thiết bị", "s.licenses": "Giấy phép", "s.alerts": "Cảnh báo chưa kết thúc",
    "s.up": "đang báo", "s.silent": "im lặng", "s.never": "chưa từng báo", "s.lastseen": "lần cuối {0}",
    "s.expired": "{0} hết hạn", "s.expiring": "{0} sắp hết hạn", "s.none": "—", "s.nosensor": "không có cảm biến",
    "s.evaluated": "Đánh giá lúc {0}", "s.back": "‹ Các điểm",
    "s.systems": "Hệ thống thông tin", "s.assets": "Tài sản", "s.requirements": "Yêu cầu theo cấp độ",
    "a.id": "Mã", "a.kind": "Loại", "a.model": "Hãng / model", "a.address": "Địa chỉ", "a.licenses": "Giấy phép",
    "r.system": "Hệ thống", "r.requirement": "Yêu cầu", "r.status": "Trạng thái", "r.reason": "Lý do",
    "lic.valid": "còn hạn", "lic.expiring": "sắp hết hạn", "lic.expired": "hết hạn", "lic.temporary": "tạm thời",
    "lic.device": "đọc từ thiết bị", "lic.declared": "theo khai báo",
    "st.pass": "Đạt", "st.met": "Đạt", "st.fail": "Không đạt", "st.not_met": "Không đạt", "st.partial": "Đạt một phần",
    "st.partially_met": "Đạt một phần", "st.waived": "Được miễn", "st.not_assessable": "Không đánh giá được",
    "st.not_applicable": "Không áp dụng",
    "kind.datacenter": "Trung tâm dữ liệu", "kind.commune": "Xã", "kind.ward": "Phường", "kind.department": "Sở / ngành",
    "err.notfound": "Không tìm thấy.", "err.sites": "Không có dữ liệu điểm: {0}",
    "k.packet": "cảm biến gói tin", "k.log": "cảm biến nhật ký", "k.collector": "bộ thu thập",
    "k.firewall": "tường lửa", "k.ips": "IPS", "k.waf": "tường lửa ứng dụng web", "k.log_store": "lưu trữ nhật ký",
    "k.server": "máy chủ", "k.switch": "bộ chuyển mạch", "k.router": "bộ định tuyến", "k.storage": "lưu trữ",
    "k.portal": "cổng thông tin", "k.anti_ddos": "chống DDoS", "k.vpn_gateway": "cổng VPN",
    "loading": "Đang tải…",
  },
  en: {
    "brand": "Security operations console",
    "nav.alerts": "Alerts", "nav.sites": "Sites", "language": "Language",
    "live.updated": "Updated at {0}", "live.failed": "Cannot reach the correlator ({0})",
    "sev.critical": "Critical", "sev.high": "High", "sev.medium": "Medium", "sev.low": "Low",
    "sev.informational": "Informational",
    "state.open": "Open", "state.acknowledged": "Acknowledged", "state.resolved": "Resolved",
    "state.unresolved": "Not resolved", "any": "Any",
    "f.state": "State", "f.severity": "Severity", "f.site": "Site", "f.rule": "Rule", "f.since": "From",
    "f.until": "To", "f.apply": "Filter", "f.clear": "Clear", "f.source": "Source address",
    "q.title": "Alert queue", "q.counts": "Not resolved, by severity", "q.open": "open", "q.acked": "acknowledged",
    "q.time": "Time (latest)", "q.rule": "Rule", "q.site": "Site", "q.summary": "Summary", "q.count": "Count",
    "q.state": "State", "q.none": "No alert matches the filters.", "q.newer": "‹ Newer", "q.older": "Older ›",
    "q.first": "« Newest", "q.page": "Page {0}", "q.new": "new",
    "d.back": "‹ Queue", "d.rule": "Rule", "d.description": "Description", "d.mitre": "MITRE ATT&CK",
    "d.site": "Site", "d.asset": "Asset", "d.source": "Source address", "d.summary": "Summary",
    "d.count": "Count", "d.first": "First seen", "d.last": "Last seen", "d.resolved": "Resolved at",
    "d.group": "Group", "d.fields": "Key fields",
    "d.evidence": "Evidence ({0} events)", "d.noevidence": "The alert store no longer holds events of this alert.",
    "e.time": "Time", "e.sensor": "Sensor", "e.dataset": "Source", "e.fields": "Relevant fields", "e.raw": "Raw message",
    "d.related": "Other alerts from {0}", "d.norelated": "No other alert from this address.",
    "d.nosource": "This alert has no source address.",
    "d.history": "History", "h.at": "At", "h.action": "Action", "h.by": "By", "h.comment": "Comment", "h.count": "Count",
    "h.opened": "Opened", "h.repeated": "Repeated", "h.acknowledged": "Acknowledged", "h.resolved": "Resolved",
    "ack.title": "Acknowledge", "ack.by": "Name", "ack.comment": "Comment (what was done)",
    "ack.token": "API token", "ack.submit": "Acknowledge", "ack.done": "Acknowledged.",
    "ack.resolved": "The alert is resolved: it cannot be acknowledged.",
    "ack.last": "Latest acknowledgement: {0}, {1}",
    "s.title": "Sites", "s.name": "Site", "s.kind": "Kind", "s.level": "Level", "s.sensors": "Sensors",
    "s.gaps": "Equipment gaps", "s.licenses": "Licenses", "s.alerts": "Alerts not resolved",
    "s.up": "reporting", "s.silent": "silent", "s.never": "never heard", "s.lastseen": "last seen {0}",
    "s.expired": "{0} expired", "s.expiring": "{0} expiring", "s.none": "—", "s.nosensor": "no sensor",
    "s.evaluated": "Evaluated at {0}", "s.back": "‹ Sites",
    "s.systems": "Information systems", "s.assets": "Assets", "s.requirements": "Requirements of the level",
    "a.id": "Id", "a.kind": "Kind", "a.model": "Vendor / model", "a.address": "Address", "a.licenses": "Licenses",
    "r.system": "System", "r.requirement": "Requirement", "r.status": "Status", "r.reason": "Reason",
    "lic.valid": "valid", "lic.expiring": "expiring", "lic.expired": "expired", "lic.temporary": "temporary",
    "lic.device": "read from the device", "lic.declared": "declared",
    "st.pass": "Met", "st.met": "Met", "st.fail": "Not met", "st.not_met": "Not met", "st.partial": "Partially met",
    "st.partially_met": "Partially met", "st.waived": "Waived", "st.not_assessable": "Not assessable",
    "st.not_applicable": "Not applicable",
    "kind.datacenter": "Data center", "kind.commune": "Commune", "kind.ward": "Ward", "kind.department": "Department",
    "err.notfound": "Not found.", "err.sites": "No site data: {0}",
    "k.packet": "packet sensor", "k.log": "log sensor", "k.log_store": "log store", "k.waf": "WAF",
    "k.vpn_gateway": "VPN gateway", "k.anti_ddos": "anti-DDoS",
    "loading": "Loading…",
  },
};

let LANG = "vi";

function t(key, ...args) {
  const table = I18N[LANG] || I18N.vi;
  const text = key in table ? table[key] : key;
  return text.replace(/\{(\d)\}/g, (_, i) => String(args[Number(i)]));
}

// A kind of equipment or sensor in words; the inventory's own word when there is no label.
function kindLabel(kind) {
  const key = "k." + kind;
  const table = I18N[LANG] || I18N.vi;
  return key in table ? table[key] : kind;
}

function setLanguage(lang) {
  LANG = I18N[lang] ? lang : "vi";
  document.documentElement.lang = LANG;
  try { localStorage.setItem("soc.lang", LANG); } catch (e) { /* private mode: not kept */ }
  for (const el of document.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
}

function savedLanguage() {
  try { return localStorage.getItem("soc.lang") || "vi"; } catch (e) { return "vi"; }
}
