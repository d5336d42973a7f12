using ConcertTicket.Hosting;

return await Cli.RunAsync(args);
