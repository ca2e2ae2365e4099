// Package dotnet catalogs NuGet packages from .NET dependency manifests
// (*.deps.json, written next to every built application) and NuGet lock
// files (packages.lock.json).
package dotnet
