// The ketamine-kg query page: YASGUI on this server's /sparql, plus the example queries.
//
// Nothing here, nor in YASGUI as configured, talks to any host but the page's own origin:
// - YASQE's "property" and "class" autocompleters query lov.linkeddata.es: removed, so only
//   the local ones ("variables", and "prefixes" from YASQE's bundled list) remain;
// - prefixCcApi stays null, so the prefix list is never fetched from prefix.cc;
// - the endpoint is fixed to <origin>/sparql: the catalogue offers only it (not YASGUI's
//   DBpedia/Wikidata defaults), new tabs get it, tabs restored from localStorage or from a
//   share link (#endpoint=...&query=..., which YASGUI runs at once) are pointed back at it,
//   and there is no CORS proxy;
// - no web fonts; index.html's Content-Security-Policy backs all this up (connect-src 'self').
(function () {
  "use strict";

  var Yasgui = window.Yasgui;
  var ENDPOINT = window.location.origin + "/sparql";
  var LOCAL_COMPLETERS = ["variables", "prefixes"];
  var DEFAULT_QUERY = [
    "PREFIX kko: <https://w3id.org/ketamine-kg/ontology#>",
    "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>",
    "PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>",
    "",
    "# The conditions in the graph, with the number of claims about each",
    "SELECT ?condition (COUNT(?claim) AS ?claims) WHERE {",
    "  ?claim kko:condition/rdfs:label ?condition .",
    "}",
    "GROUP BY ?condition",
    "ORDER BY DESC(?claims) ?condition",
  ].join("\n");

  // YASGUI deep-merges its config with lodash, which merges arrays index by index: a shorter
  // `autocompleters` list in the config would not remove the defaults. Change the defaults.
  var Yasqe = Yasgui.Yasqe;
  Yasqe.defaults.autocompleters.splice(0, Yasqe.defaults.autocompleters.length);
  Array.prototype.push.apply(Yasqe.defaults.autocompleters, LOCAL_COMPLETERS);
  Object.keys(Yasqe.Autocompleters).forEach(function (name) {
    if (LOCAL_COMPLETERS.indexOf(name) < 0) delete Yasqe.Autocompleters[name];
  });
  Yasqe.defaults.prefixCcApi = null;

  function pinEndpoint(tabConfig) {
    tabConfig.requestConfig = Object.assign({}, tabConfig.requestConfig, {
      endpoint: ENDPOINT,
      method: "POST",
    });
    return tabConfig;
  }

  // A share link may name another endpoint; YASGUI would write it into its shared default
  // request config before populateFromUrl sees it. Rewrite it in the address first.
  ["hash", "search"].forEach(function (part) {
    var raw = window.location[part].slice(1);
    if (!raw) return;
    var params = new URLSearchParams(raw);
    if (!params.has("endpoint") || params.get("endpoint") === ENDPOINT) return;
    params.set("endpoint", ENDPOINT);
    var url = new URL(window.location.href);
    url[part] = params.toString();
    window.history.replaceState(null, "", url.href);
  });

  var yasgui = new Yasgui(document.getElementById("yasgui"), {
    requestConfig: { endpoint: ENDPOINT, method: "POST" },
    copyEndpointOnNewTab: false,
    corsProxy: undefined,
    populateFromUrl: pinEndpoint,
    persistenceId: "ketamine-kg",
    persistencyExpire: 60 * 60 * 24 * 30,
    endpointCatalogueOptions: {
      getData: function () {
        return [{ endpoint: ENDPOINT }];
      },
      keys: [],
    },
    yasqe: {
      value: DEFAULT_QUERY,
      autocompleters: LOCAL_COMPLETERS.slice(),
      prefixCcApi: null,
      collapsePrefixesOnLoad: true,
      editorHeight: "280px",
    },
    yasr: { defaultPlugin: "table" },
  });

  function pinTab(tab) {
    if (tab && tab.getEndpoint() !== ENDPOINT) tab.setEndpoint(ENDPOINT);
  }
  Object.keys(yasgui._tabs).forEach(function (id) {
    pinTab(yasgui.getTab(id));
  });
  yasgui.on("tabAdd", function (instance, id) {
    pinTab(instance.getTab(id));
  });
  yasgui.on("tabChange", function (instance, tab) {
    pinTab(tab);
  });

  document.getElementById("endpoint-url").textContent = ENDPOINT;
  window.ketamineKg = { yasgui: yasgui, endpoint: ENDPOINT };

  // Example queries.
  var select = document.getElementById("example");
  var problem = document.getElementById("example-error");
  var examples = {};

  function choose(name) {
    var example = examples[name];
    if (!example) return;
    var tab = yasgui.getTab();
    pinTab(tab);
    tab.setQuery(example.query);
    // The shared PREFIX block is long: fold it so the query itself is in view.
    tab.getYasqe().collapsePrefixes(true);
    select.value = name;
    var url = new URL(window.location.href);
    url.searchParams.set("example", name);
    url.hash = "";
    window.history.replaceState(null, "", url.pathname + url.search);
  }

  select.addEventListener("change", function () {
    choose(select.value);
  });

  fetch("/examples.json", { headers: { Accept: "application/json" } })
    .then(function (response) {
      if (!response.ok) throw new Error("HTTP " + response.status);
      return response.json();
    })
    .then(function (items) {
      select.textContent = "";
      var placeholder = document.createElement("option");
      placeholder.value = "";
      placeholder.textContent = "Choose an example (" + items.length + ")…";
      select.appendChild(placeholder);
      items.forEach(function (item) {
        examples[item.name] = item;
        var option = document.createElement("option");
        option.value = item.name;
        option.textContent = item.title || item.name;
        option.title = item.name;
        select.appendChild(option);
      });
      select.disabled = false;
      var wanted = new URLSearchParams(window.location.search).get("example");
      if (wanted) choose(wanted);
      document.body.dataset.examples = "ready";
    })
    .catch(function (error) {
      select.textContent = "";
      var option = document.createElement("option");
      option.textContent = "(no examples)";
      select.appendChild(option);
      problem.textContent = "Could not load /examples.json: " + error.message;
      problem.hidden = false;
      document.body.dataset.examples = "failed";
    });
})();
