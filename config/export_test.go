package config

// testProviders is collector.Providers, which this package cannot import
// (collector imports config): providers_test.go, an external test file,
// sets it before any test runs, so that the tests validate accounts of
// the real providers.
var testProviders Providers

// SetTestProviders is how providers_test.go sets testProviders.
func SetTestProviders(ps Providers) { testProviders = ps }
