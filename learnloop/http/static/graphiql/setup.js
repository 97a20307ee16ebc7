// Learnloop's GraphiQL page: the explorer plugin, URL-shareable queries, subscriptions over WS.
(function () {
  const EXAMPLE_QUERY = `# Learnloop GraphQL API. Put your token in the Headers tab:
#   {"Authorization": "Bearer <token or ll_ API key>"}
#
# Run: Ctrl-Enter   Autocomplete: Ctrl-Space   Docs: the book icon on the left

{
  viewer {
    role
  }
}
`;

  const parameters = {};
  for (const entry of window.location.search.slice(1).split("&")) {
    const eq = entry.indexOf("=");
    if (eq >= 0) {
      parameters[decodeURIComponent(entry.slice(0, eq))] = decodeURIComponent(
        entry.slice(eq + 1),
      );
    }
  }

  function updateURL(data) {
    Object.assign(parameters, data);
    const newSearch =
      "?" +
      Object.keys(parameters)
        .filter((key) => Boolean(parameters[key]))
        .map((key) => encodeURIComponent(key) + "=" + encodeURIComponent(parameters[key]))
        .join("&");
    history.replaceState(null, null, newSearch);
  }

  const fetchURL = window.location.href.split("?")[0];
  const wsURL = new URL(fetchURL);
  wsURL.protocol = wsURL.protocol === "http:" ? "ws:" : "wss:";
  wsURL.hash = "";

  const fetcher = GraphiQL.createFetcher({
    url: fetchURL,
    headers: {},
    subscriptionUrl: wsURL.toString(),
  });

  function GraphiQLWithExplorer() {
    const [query, setQuery] = React.useState(parameters.q || EXAMPLE_QUERY);
    const [variables, setVariables] = React.useState(parameters.variables);
    const [headers, setHeaders] = React.useState(parameters.headers);
    const explorerPlugin = GraphiQLPluginExplorer.explorerPlugin();
    return React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultEditorToolsVisibility: true,
      plugins: [explorerPlugin],
      query: query,
      variables: variables,
      headers: headers,
      onEditQuery: (q) => {
        setQuery(q);
        updateURL({ q: q });
      },
      onEditVariables: (v) => {
        setVariables(v);
        updateURL({ variables: v });
      },
      onEditHeaders: setHeaders,
      inputValueDeprecation: true,
      isHeadersEditorEnabled: true,
      // Headers carry tokens: keep them out of localStorage.
      shouldPersistHeaders: false,
    });
  }

  const root = ReactDOM.createRoot(document.getElementById("graphiql"));
  root.render(React.createElement(GraphiQLWithExplorer));
})();
