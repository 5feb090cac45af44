/* Case finder (案例检索): facets with live counts, an exact-substring text filter, sorting,
 * and the whole state in the URL. Works offline from data/finder.json, generated at build
 * time by scripts/casebook/export.py. Record text is inserted with textContent only. */
(function () {
  const root = document.getElementById("finder")
  if (!root) return
  const FACETS = [["theme", "领域"], ["province", "地区"], ["level", "层级"], ["year", "年份"], ["source", "来源"]]
  const PAGE = 50
  const wide = window.matchMedia("(min-width: 60em)")
  const openFacets = {}
  let data, cases, state, shown = PAGE

  const el = (tag, props = {}, ...children) => {
    const node = Object.assign(document.createElement(tag), props)
    for (const child of children) node.append(child)
    return node
  }
  const values = (c, facet) => Array.isArray(c[facet]) ? c[facet] : [c[facet]]

  function readState() {
    const params = new URLSearchParams(location.search)
    const s = { q: params.get("q") || "", sort: params.get("sort") === "region" ? "region" : "year" }
    for (const [facet] of FACETS)
      s[facet] = new Set((params.get(facet) || "").split(",").filter(v => data.facets[facet].includes(v)))
    return s
  }

  function writeState() {
    const params = new URLSearchParams()
    for (const [facet] of FACETS) if (state[facet].size) params.set(facet, [...state[facet]].join(","))
    if (state.q) params.set("q", state.q)
    if (state.sort !== "year") params.set("sort", state.sort)
    const query = params.toString()
    history.replaceState(null, "", query ? `?${query}` : location.pathname)
  }

  /* Does case c pass every filter, except the facet `skip` (for that facet's counts)? */
  function passes(c, skip) {
    if (state.q && !c.haystack.includes(state.q.toLowerCase())) return false
    for (const [facet] of FACETS)
      if (facet !== skip && state[facet].size && !values(c, facet).some(v => state[facet].has(v))) return false
    return true
  }

  function label(facet, value) {
    return facet === "source" ? data.sources[value] : facet === "year" ? `${value}年` : value
  }

  function renderFacets(container) {
    container.replaceChildren()
    for (const [facet, name] of FACETS) {
      const counts = new Map(data.facets[facet].map(v => [v, 0]))
      for (const c of cases) if (passes(c, facet)) for (const v of values(c, facet)) counts.set(v, counts.get(v) + 1)
      const list = el("ul")
      for (const value of data.facets[facet]) {
        const box = el("input", { type: "checkbox", checked: state[facet].has(value) })
        box.dataset.facet = facet
        box.dataset.value = value
        const item = el("li", {}, el("label", {}, box, " ", label(facet, value), " ",
          el("span", { className: "finder-count", textContent: String(counts.get(value)) })))
        if (!counts.get(value) && !state[facet].has(value)) item.classList.add("finder-empty")
        list.append(item)
      }
      /* on narrow screens the facets start folded, so that the results stay in view */
      const chosen = state[facet].size ? `（已选 ${state[facet].size}）` : ""
      const open = wide.matches || state[facet].size > 0 || !!openFacets[facet]
      const box = el("details", { className: "finder-facet", open }, el("summary", { textContent: name + chosen }), list)
      box.addEventListener("toggle", () => { openFacets[facet] = box.open })
      container.append(box)
    }
  }

  function sorted(list) {
    const order = new Map(data.facets.province.map((p, i) => [p, i]))
    const byYear = (a, b) => b.year.localeCompare(a.year)
    const byRegion = (a, b) => order.get(a.province) - order.get(b.province)
    return list.sort(state.sort === "region"
      ? (a, b) => byRegion(a, b) || byYear(a, b) || a.id.localeCompare(b.id)
      : (a, b) => byYear(a, b) || byRegion(a, b) || a.id.localeCompare(b.id))
  }

  function renderResults(container) {
    const found = sorted(cases.filter(c => passes(c, null)))
    container.replaceChildren(el("p", { className: "finder-total", textContent: `共 ${found.length} 个案例` }))
    const list = el("ol", { className: "finder-results" })
    for (const c of found.slice(0, shown)) {
      const link = el("a", { href: `../cases/${c.id}/`, textContent: c.title })
      const meta = [c.org, c.province + (c.place ? ` ${c.place}` : ""), `${c.year}年`, c.level].join(" · ")
      list.append(el("li", {}, link, el("div", { className: "finder-meta", textContent: meta }),
        el("p", { textContent: c.summary })))
    }
    container.append(list)
    if (found.length > shown) {
      const more = el("button", { type: "button", className: "md-button", textContent: `显示更多（还有 ${found.length - shown} 个）` })
      more.addEventListener("click", () => { shown += PAGE; renderResults(container) })
      container.append(more)
    }
  }

  function build() {
    const text = el("input", { type: "search", className: "finder-text", placeholder: "输入标题、单位、摘要或关键词中的文字", value: state.q })
    text.setAttribute("aria-label", "文本筛选")
    const sort = el("select", { className: "finder-sort" },
      el("option", { value: "year", textContent: "按年份排序" }), el("option", { value: "region", textContent: "按地区排序" }))
    sort.value = state.sort
    sort.setAttribute("aria-label", "排序方式")
    const reset = el("button", { type: "button", className: "md-button finder-reset", textContent: "清除条件" })
    const facets = el("div", { className: "finder-facets" })
    const results = el("div", { className: "finder-main" })
    root.replaceChildren(el("div", { className: "finder-bar" }, text, sort, reset), el("div", { className: "finder-body" }, facets, results))

    const apply = () => { shown = PAGE; writeState(); renderFacets(facets); renderResults(results) }
    text.addEventListener("input", () => { state.q = text.value.trim(); apply() })
    sort.addEventListener("change", () => { state.sort = sort.value; apply() })
    reset.addEventListener("click", () => {
      for (const [facet] of FACETS) state[facet].clear()
      state.q = ""; text.value = ""; apply()
    })
    facets.addEventListener("change", ev => {
      const box = ev.target
      if (!box.dataset.facet) return
      const set = state[box.dataset.facet]
      box.checked ? set.add(box.dataset.value) : set.delete(box.dataset.value)
      apply()
    })
    /* for the benchmark: one filter change, timed from outside */
    window.casebookFinder = { apply, state }
    apply()
  }

  fetch(root.dataset.src).then(r => r.json()).then(json => {
    data = json
    cases = data.cases.map(c => ({ ...c, haystack: [c.title, c.org, c.summary, ...c.tags].join("\n").toLowerCase() }))
    state = readState()
    build()
  }).catch(() => {
    root.textContent = "案例数据加载失败，请刷新页面或从目录浏览。"
  })
})()
