// Applies a stored theme choice before the first paint (classic script in <head>, no flash).
try {
  var theme = localStorage.getItem("mailpen.theme");
  if (theme === "light" || theme === "dark") document.documentElement.dataset.theme = theme;
} catch (e) { /* storage unavailable: follow the system */ }
