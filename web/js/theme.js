// Dark mode: follows prefers-color-scheme until the toggle picks light or dark explicitly.
// The button cycles system → light → dark → system and says which one is in force.

const KEY = "mailpen.theme";
const media = matchMedia("(prefers-color-scheme: dark)");

let memory = null; // the choice when localStorage is unavailable

function stored() {
  if (memory) return memory;
  try {
    const value = localStorage.getItem(KEY);
    return value === "light" || value === "dark" ? value : "system";
  } catch {
    return "system";
  }
}

export function effectiveTheme() {
  const choice = stored();
  return choice === "system" ? (media.matches ? "dark" : "light") : choice;
}

export function setupTheme(button) {
  const label = button.querySelector(".label");
  const update = () => {
    const choice = stored();
    const effective = effectiveTheme();
    if (choice === "system") delete document.documentElement.dataset.theme;
    else document.documentElement.dataset.theme = choice;
    document.documentElement.dataset.effectiveTheme = effective;
    const name = choice === "system" ? "Auto" : choice === "dark" ? "Dark" : "Light";
    const text = choice === "system" ? `Theme: Auto (follows the system, ${effective} now)` : `Theme: ${name}`;
    const next = choice === "system" ? "light" : choice === "light" ? "dark" : "auto (system)";
    button.setAttribute("aria-label", `${text}. Switch to ${next}`);
    button.title = `${text} — click for ${next}`;
    button.dataset.choice = choice;
    if (label) label.textContent = name;
    const meta = document.querySelector('meta[name="theme-color"]');
    if (meta) meta.content = effective === "dark" ? "#0f1217" : "#ffffff";
  };
  button.addEventListener("click", () => {
    const order = ["system", "light", "dark"];
    const next = order[(order.indexOf(stored()) + 1) % order.length];
    try {
      if (next === "system") localStorage.removeItem(KEY);
      else localStorage.setItem(KEY, next);
      memory = null;
    } catch {
      memory = next; // private mode: the choice lasts for this page only
    }
    if (next === "system") delete document.documentElement.dataset.theme;
    else document.documentElement.dataset.theme = next;
    update();
  });
  media.addEventListener("change", update);
  update();
}
