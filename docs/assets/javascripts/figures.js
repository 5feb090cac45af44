/* Figures compared across cases (数字比较): one family of units per page, every metric of that
 * family as a table row, sorted by the normalised number and filtered by theme, province or
 * case, the state in the URL (a case page links here with ?case=<id>). Works offline from
 * data/figures/<family>.json, generated at build time by scripts/casebook/figure_tables.py.
 * Record text is inserted with textContent only. */
(function () {
  const root = document.getElementById("figures")
  if (!root) return
  const SORTS = [["desc", "数值从大到小"], ["asc", "数值从小到大"], ["case", "按案例"]]
  let data, state

  const el = (tag, props = {}, ...children) => {
    const node = Object.assign(document.createElement(tag), props)
    for (const child of children) node.append(child)
    return node
  }
  const option = (value, text) => el("option", { value, textContent: text })

  function readState() {
    const params = new URLSearchParams(location.search)
    const ids = new Set(data.rows.map(r => r.id))
    const sort = params.get("sort")
    return {
      theme: data.themes.includes(params.get("theme")) ? params.get("theme") : "",
      province: data.provinces.includes(params.get("province")) ? params.get("province") : "",
      case: ids.has(params.get("case")) ? params.get("case") : "",
      sort: SORTS.some(([v]) => v === sort) ? sort : "desc",
    }
  }

  function writeState() {
    const params = new URLSearchParams()
    for (const key of ["case", "theme", "province"]) if (state[key]) params.set(key, state[key])
    if (state.sort !== "desc") params.set("sort", state.sort)
    const query = params.toString()
    history.replaceState(null, "", query ? `?${query}` : location.pathname)
  }

  function shown() {
    const rows = data.rows.filter(r => (!state.theme || r.themes.includes(state.theme))
      && (!state.province || r.province === state.province) && (!state.case || r.id === state.case))
    const order = new Map(data.rows.map((r, i) => [r, i]))  // library order: newest cases first
    const byValue = (a, b) => a.value - b.value
    if (state.sort === "asc") rows.sort((a, b) => byValue(a, b) || order.get(a) - order.get(b))
    else if (state.sort === "desc") rows.sort((a, b) => byValue(b, a) || order.get(a) - order.get(b))
    return rows
  }

  function renderTable(container) {
    const rows = shown()
    const caseRow = state.case && data.rows.find(r => r.id === state.case)
    const total = el("p", { className: "figures-total", textContent: `共 ${rows.length} 项` })
    if (caseRow) total.textContent = `案例：${caseRow.title}（共 ${rows.length} 项）`
    const body = el("tbody")
    for (const r of rows) {
      const tr = el("tr", {},
        el("td", {}, el("a", { href: `../../../cases/${r.id}/`, textContent: r.title })),
        el("td", { textContent: r.label }),
        el("td", { className: "num", textContent: r.figure, title: `${r.number} ${r.unit}` }),
        el("td", { textContent: r.year }),
        el("td", { textContent: r.quote }))
      tr.dataset.case = r.id
      tr.dataset.n = String(r.n)
      body.append(tr)
    }
    const head = el("thead", {}, el("tr", {}, ...["案例", "指标", "数值", "时间", "原文"].map(t => el("th", { textContent: t }))))
    head.querySelectorAll("th")[2].setAttribute("aria-sort", state.sort === "asc" ? "ascending" : state.sort === "desc" ? "descending" : "none")
    container.replaceChildren(total, el("div", { className: "md-typeset__scrollwrap" },
      el("div", { className: "md-typeset__table" }, el("table", {}, head, body))))
  }

  function build() {
    const theme = el("select", { className: "finder-sort figures-theme" }, option("", "全部领域"), ...data.themes.map(t => option(t, t)))
    const province = el("select", { className: "finder-sort figures-province" }, option("", "全部地区"), ...data.provinces.map(p => option(p, p)))
    const sort = el("select", { className: "finder-sort figures-sort" }, ...SORTS.map(([v, t]) => option(v, t)))
    theme.setAttribute("aria-label", "按领域筛选")
    province.setAttribute("aria-label", "按地区筛选")
    sort.setAttribute("aria-label", "排序")
    const reset = el("button", { type: "button", className: "md-button finder-reset", textContent: "显示全部" })
    const table = el("div", { className: "figures-main" })
    root.replaceChildren(el("div", { className: "finder-bar" }, theme, province, sort, reset), table)

    const sync = () => { theme.value = state.theme; province.value = state.province; sort.value = state.sort }
    const apply = () => { writeState(); sync(); renderTable(table) }
    theme.addEventListener("change", () => { state.theme = theme.value; apply() })
    province.addEventListener("change", () => { state.province = province.value; apply() })
    sort.addEventListener("change", () => { state.sort = sort.value; apply() })
    reset.addEventListener("click", () => { state.theme = state.province = state.case = ""; apply() })
    apply()
  }

  fetch(root.dataset.src).then(r => r.json()).then(json => {
    data = json
    state = readState()
    build()
  }).catch(() => {
    root.textContent = "数字数据加载失败，请刷新页面，或从“数据下载”页下载 metrics.csv。"
  })
})()
