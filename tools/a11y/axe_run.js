// Run by audit.py in each page (axe-core is injected before the page's own scripts): the violations,
// each with its first three elements and what is wrong with them.
async () => {
  const { violations } = await axe.run(document, { resultTypes: ["violations"] });
  return violations.map((v) => ({
    id: v.id,
    impact: v.impact,
    help: v.help,
    nodes: v.nodes.slice(0, 3).map(
      (n) => n.target.join(" ") + " " + (n.failureSummary || "").split("\n").slice(1, 2).join(""),
    ),
  }));
}
