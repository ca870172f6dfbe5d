// Sortable tables: each header of a table.sortable becomes a button that sorts its rows
// (numbers by their data-value, text by locale), announcing the order through aria-sort.

for (const table of document.querySelectorAll("table.sortable")) {
  const headers = [...table.tHead.rows[0].cells];
  headers.forEach((th, index) => {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "sort";
    button.textContent = th.textContent;
    th.textContent = "";
    th.append(button);
    button.addEventListener("click", () => {
      const ascending = th.getAttribute("aria-sort") !== "ascending";
      for (const other of headers) other.removeAttribute("aria-sort");
      th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
      const numeric = th.dataset.type === "number";
      const key = (row) => {
        const cell = row.cells[index];
        if (!numeric) return cell.textContent.trim();
        const value = cell.dataset.value;
        return value === "" || value === undefined ? null : Number(value);
      };
      const rows = [...table.tBodies[0].rows];
      rows.sort((a, b) => {
        const x = key(a);
        const y = key(b);
        if (x === null || y === null) return (x === null) - (y === null); // blanks last
        const order = numeric ? x - y : String(x).localeCompare(String(y));
        return ascending ? order : -order;
      });
      table.tBodies[0].append(...rows);
    });
  });
}
