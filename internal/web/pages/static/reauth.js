// The page answered 401. If the address has no token but this tab still
// holds one (the page removed it from the address after the first load),
// ask again with it; if the token was tried and refused, forget it.
(() => {
  const KEY = 'contactd.token';
  const url = new URL(location.href);
  const saved = sessionStorage.getItem(KEY);
  if (!url.searchParams.has('token') && saved) {
    url.searchParams.set('token', saved);
    location.replace(url);
    return;
  }
  if (url.searchParams.has('token')) sessionStorage.removeItem(KEY);
  document.getElementById('msg').hidden = false;
})();
