package config_test

// Providers register themselves from their files in the collector
// package; the config tests validate accounts of each of them.
import _ "github.com/billing-exporter/billing-exporter/collector"
