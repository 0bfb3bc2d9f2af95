// Command embed shows atomix inside a team's own product: the team's mux
// keeps its own routes, and the atomix REST API is mounted under
// /platform/v1 beside them.
//
//	ATOMIX_API_KEY=secret go run ./examples/embed
//	curl localhost:8081/hello
//	curl -H 'Authorization: Bearer secret' localhost:8081/platform/v1/tenants
package main
