// The library's additions to Decap CMS: the record format (read with js-yaml, written in the
// layout of the hand-written records, so that a saved case passes `make check` as it is and
// re-saving a case changes only what was edited) and a preview laid out like the case page.
(function () {
  "use strict";
  var RECORD = window.CASEBOOK_RECORD;  // record-layout.js, generated from the model
  var TEMPLATE_FIRST_LINE = "# yaml-language-server: $schema=../schema/";
  var MARK = "casebook_record";  // config.yml's collection filter: only case records are listed

  function load(text) {
    return jsyaml.load(text, { schema: jsyaml.CORE_SCHEMA });
  }

  // The Python loader (scripts/casebook/load.py) reads these plain scalars as numbers,
  // booleans or null; dates are quoted as the records quote them.
  var NOT_TEXT = [/^[-+]?[0-9]+$/, /^[-+]?(?:[0-9]+\.[0-9]*|\.[0-9]+|[0-9]+)(?:[eE][-+]?[0-9]+)?$/,
                  /^(?:true|false|null|~)$/i, /^\d{4}(?:-\d{1,2}){1,2}$/];

  function plain(text) {
    if (text === "" || text !== text.trim() || /[\n\r\t]/.test(text)) return false;
    if (/^[-?:,\[\]{}#&*!|>'"%@`]/.test(text) || /: |:$| #/.test(text)) return false;
    if (NOT_TEXT.some(function (rx) { return rx.test(text); })) return false;
    try {
      var back = load("k: " + text);
      return !!back && back.k === text;
    } catch (e) {
      return false;
    }
  }

  function scalar(value) {
    if (typeof value === "number") return String(value);
    var text = String(value);
    return plain(text) ? text : JSON.stringify(text);
  }

  function empty(value) {
    return value === undefined || value === null || value === "" ||
      (typeof value === "number" && isNaN(value));
  }

  function emitMap(map, path, indent, firstLead) {
    var keys = (RECORD.order[path] || []).slice();
    Object.keys(map).forEach(function (k) { if (keys.indexOf(k) < 0 && k !== MARK) keys.push(k); });
    var lines = [];
    keys.forEach(function (key) {
      var value = map[key];
      var full = path ? path + "." + key : key;
      var lead = lines.length === 0 && firstLead ? firstLead : indent;
      if (empty(value)) {
        if (RECORD.lists.indexOf(full) < 0) return;  // an empty optional field is left out
        value = [];
      }
      if (Array.isArray(value)) {
        var items = value.filter(function (v) { return !empty(v); });
        if (!items.length) { lines.push(lead + key + ": []"); return; }
        lines.push(lead + key + ":");
        items.forEach(function (item) {
          if (typeof item === "object") {
            lines = lines.concat(emitMap(item, full, indent + "    ", indent + "  - "));
          } else {
            lines.push(indent + "  - " + scalar(item));
          }
        });
      } else if (typeof value === "object") {
        var inner = emitMap(value, full, indent + "  ");
        if (inner.length) lines = lines.concat([lead + key + ":"], inner);
      } else if (RECORD.paragraphs.indexOf(full) >= 0 && typeof value === "string") {
        var paragraphs = value.split(/\n+/).map(function (p) { return p.trim(); }).filter(Boolean);
        lines.push(lead + key + ": >-");
        paragraphs.forEach(function (p, i) {
          if (i) lines.push("");
          lines.push(indent + "  " + p);
        });
      } else {
        lines.push(lead + key + ": " + scalar(value));
      }
    });
    return lines;
  }

  // Folded (>-) paragraphs broken over several lines are joined the way the Python loader
  // joins them (no space where a break touches Chinese), not with YAML's spaces.
  var CJK = /[\u2e80-\u9fff\u3000-\u303f\uff00-\uffef“”‘’—…·]/;
  function refold(text) {
    var lines = text.split("\n"), out = [], i = 0;
    while (i < lines.length) {
      var line = lines[i++];
      out.push(line);
      var head = /^(\s*)(?:- )?[A-Za-z_]+: >-$/.exec(line);
      if (!head) continue;
      var body = [];
      while (i < lines.length && (lines[i].trim() === "" || lines[i].search(/\S/) > head[1].length + (line.trim().indexOf("- ") === 0 ? 2 : 0))) {
        body.push(lines[i++]);
      }
      while (body.length && body[body.length - 1].trim() === "") { body.pop(); i--; }
      if (!body.length) continue;
      var pad = body[0].match(/^\s*/)[0], joined = "";
      body.forEach(function (l) {
        l = l.trim();
        if (!l) joined = joined.replace(/ +$/, "") + "\n";
        else if (!joined || joined.slice(-1) === "\n") joined += l;
        else joined += (CJK.test(joined.slice(-1)) || CJK.test(l[0]) ? "" : " ") + l;
      });
      joined.trim().split("\n").forEach(function (p, k) { if (k) out.push(""); out.push(pad + p); });
    }
    return out.join("\n");
  }

  var format = {
    fromFile: function (text) {
      var data = load(refold(text));
      var isRecord = !!data && typeof data === "object" && !Array.isArray(data) &&
        text.indexOf(TEMPLATE_FIRST_LINE) !== 0;
      if (!isRecord) return {};
      var out = Object.assign({}, data);
      out[MARK] = true;
      return out;
    },
    toFile: function (data) {
      return [RECORD.first_line].concat(emitMap(data, "", "")).join("\n") + "\n";
    },
  };
  window.CASEBOOK_FORMAT = format;  // for the tests
  if (typeof CMS === "undefined") return;

  // -- preview: the sections of the case page (overrides/pages/case.tmpl.md) ----------------
  var h = window.h;
  function text(entry, path) {
    var value = entry.getIn(["data"].concat(path));
    return value === undefined || value === null ? "" : String(value);
  }
  function list(entry, key) {
    var value = entry.getIn(["data", key]);
    return value && value.toJS ? value.toJS() : [];
  }
  // A select's label for its value (the source's title for its id), from the form's fields.
  function optionLabel(fields, path, value) {
    var field = null, list = fields;
    path.forEach(function (name) {
      field = list && list.find(function (f) { return f.get("name") === name; });
      list = field && field.get("fields");
    });
    var options = field && field.get("options");
    var option = options && options.find(function (o) { return o && o.get && o.get("value") === value; });
    return option ? option.get("label") : value;
  }

  var CasePreview = window.createClass({
    render: function () {
      var entry = this.props.entry;
      var source = optionLabel(this.props.fields, ["source", "publication"], text(entry, ["source", "publication"]));
      var section = text(entry, ["source", "section"]);
      var place = [text(entry, ["region", "province"]), text(entry, ["region", "city"]),
                   text(entry, ["region", "district"])].filter(Boolean).join(" · ");
      var metrics = list(entry, "metrics");
      var meta = [["实施单位", text(entry, ["organization"])], ["地区", place], ["层级", text(entry, ["level"])],
                  ["领域", list(entry, "themes").join(" · ")], ["年份", text(entry, ["year"])],
                  ["关键词", list(entry, "tags").join("、")], ["来源", source + (section ? "（" + section + "）" : "")]];
      return h("article", { className: "md-typeset casebook-preview" },
        h("h1", {}, text(entry, ["title"])),
        h("div", { className: "case-meta" }, h("ul", {}, meta.filter(function (m) { return m[1]; }).map(function (m) {
          return h("li", { key: m[0] }, h("strong", {}, m[0]), "：" + m[1]);
        }))),
        h("p", {}, text(entry, ["summary"])),
        h("h2", {}, "针对问题"),
        h("p", {}, text(entry, ["problem"])),
        h("h2", {}, "主要做法"),
        list(entry, "measures").map(function (m, i) {
          return h("div", { key: i }, h("h3", {}, (i + 1) + ". " + (m.title || "")), h("p", {}, m.detail || ""));
        }),
        h("h2", {}, "成效"),
        metrics.length ? h("table", {},
          h("thead", {}, h("tr", {}, ["指标", "数值", "时间", "原文"].map(function (c) { return h("th", { key: c }, c); }))),
          h("tbody", {}, metrics.map(function (m, i) {
            var figure = (m.value === undefined ? "" : String(m.value)) + (m.unit || "") + (m.approx ? "（" + m.approx + "）" : "");
            return h("tr", { key: i }, h("td", {}, m.label || ""), h("td", { className: "num" }, figure),
                     h("td", {}, m.as_of || ""), h("td", {}, m.quote || ""));
          }))) : h("p", {}, "来源未给出量化成效。"),
        text(entry, ["lessons"]) ? h("h2", {}, "经验启示") : null,
        text(entry, ["lessons"]) ? h("p", {}, text(entry, ["lessons"])) : null);
    },
  });

  CMS.registerCustomFormat("casebook-yaml", "yaml", format);
  CMS.registerPreviewTemplate("cases", CasePreview);
  (window.CASEBOOK_PREVIEW_STYLES || []).forEach(function (href) {
    CMS.registerPreviewStyle(new URL(href, window.location.href).href);
  });
  CMS.init();
})();
