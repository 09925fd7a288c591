package config_test

import (
	"github.com/billing-exporter/billing-exporter/collector"
	"github.com/billing-exporter/billing-exporter/config"
)

// The config tests validate accounts of the real providers.
func init() { config.SetTestProviders(collector.ConfigProviders()) }
