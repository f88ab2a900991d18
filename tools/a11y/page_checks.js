// Run by audit.py in each page after axe: what axe does not check but a phone and a screen reader need.
// Returns a list of problems (empty: none).
() => {
  const problems = [];
  const width = document.scrollingElement.scrollWidth;
  if (width > window.innerWidth) {
    const describe = (e) => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "")
      + (e.className ? "." + String(e.className).split(" ").join(".") : "");
    const wide = [...document.querySelectorAll("body *")]
      .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1)
      .filter((e) => !e.closest(".table-wrap, nav.main, .pledge"))
      .slice(-3)
      .map(describe);
    problems.push(`horizontal overflow: ${width}px wide in a ${window.innerWidth}px window (${wide.join(", ")})`);
  }
  for (const attr of ["aria-describedby", "aria-labelledby", "aria-controls"]) {
    for (const element of document.querySelectorAll(`[${attr}]`)) {
      for (const id of element.getAttribute(attr).split(/\s+/).filter(Boolean)) {
        if (!document.getElementById(id)) {
          const tag = `<${element.tagName.toLowerCase()} name="${element.getAttribute("name") || ""}">`;
          problems.push(`${attr}="${id}" on ${tag}: no element has this id`);
        }
      }
    }
  }
  for (const label of document.querySelectorAll("label[for]")) {
    if (!document.getElementById(label.htmlFor)) problems.push(`label for="${label.htmlFor}": no element has this id`);
  }
  const ids = {};
  for (const element of document.querySelectorAll("[id]")) ids[element.id] = (ids[element.id] || 0) + 1;
  for (const [id, count] of Object.entries(ids)) if (count > 1) problems.push(`id "${id}" is used ${count} times`);
  return problems;
}
