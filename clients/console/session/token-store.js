// The access token of this tab. sessionStorage: it survives reloads, ends with the tab, and
// is not shared with other tabs or written to disk the way localStorage is.

const KEY = "kubegale.token";

export const tokenStore = {
  get() {
    return sessionStorage.getItem(KEY) ?? "";
  },
  set(token) {
    sessionStorage.setItem(KEY, token);
  },
  clear() {
    sessionStorage.removeItem(KEY);
  },
};

/** Preferences that outlive the tab (selected cluster and namespace). */
export const preferences = {
  get(name, fallback = "") {
    return localStorage.getItem(`kubegale.${name}`) ?? fallback;
  },
  set(name, value) {
    localStorage.setItem(`kubegale.${name}`, String(value));
  },
};
